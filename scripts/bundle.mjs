#!/usr/bin/env node
// Bundles dist/ with esbuild: one entry (dist/main.js) plus chunks split at every `await import()`,
// so heavy modules (client-node) still load only in commands that talk to a cluster, while the
// hundreds of small files they are made of no longer cost a file-system lookup each at start-up.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (undici, js-yaml) call require(); give the ESM bundle a real one.
  banner: {
    js: "import { createRequire as __meshCreateRequire } from 'node:module'; const require = __meshCreateRequire(import.meta.url);",
  },
  // Optional native add-ons of `ws`; absent is fine.
  external: ['bufferutil', 'utf-8-validate'],
  legalComments: 'none',
  logLevel: 'warning',
});
