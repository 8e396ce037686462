#!/usr/bin/env node
// Bundles dist/ with esbuild: one entry (dist/main.js) plus chunks split at every `await import()`,
// so heavy modules (client-node) still load only in commands that talk to a cluster, while the
// hundreds of small files they are made of no longer cost a file-system lookup each at start-up.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Node builtins through require(), not ESM import. An ESM import of a builtin builds a namespace of
 * every export, which runs its lazy getters (`fs.promises`, `process.report`, `util.parseArgs`):
 * measured, that loaded 70 internal modules and took about 20 ms of `mesh --help` on the 2-core
 * machine. require() returns the object as is. child_process (6-7 ms, with net and streams) is
 * only needed when a command runs a tool, so it loads on first use: commander imports it at the
 * top for executable subcommands, which mesh has none of.
 */
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    // Bare names too (`http`, `tls`): dependencies such as client-node's import them without
    // `node:`, and an ESM import of node:http alone loaded Node's internal undici (about 15 ms).
    b.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.path === 'node:module' || args.namespace.startsWith('builtin')) return { path: args.path, external: true };
      const path = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      const lazy = path === 'node:child_process' && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer);
      return { path, namespace: lazy ? 'builtin-lazy' : 'builtin' };
    });
    // An ESM import of a CommonJS module copies its properties (esbuild's __toESM), reading the
    // descriptor of each; on node:util that alone loaded 33 internal modules (util.diff's colours
    // and myers diff, worker_threads, streams): about 20 ms of every command, --help included. A
    // plain-object builtin is therefore handed over as a view whose getters read it on use.
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require('mesh:builtin-view')(require(${JSON.stringify(args.path)}));`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^mesh:builtin-view$/ }, () => ({ path: 'view', namespace: 'builtin-view' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-view' }, () => ({
      contents: [
        'module.exports = (real) => typeof real === "function" ? real : Object.defineProperties({}, Object.fromEntries(',
        '  Object.getOwnPropertyNames(real).map((key) => [key, { get: () => real[key], set: (value) => { real[key] = value; }, enumerable: true }])));',
      ].join('\n'),
      loader: 'js',
    }));
    // commander only calls childProcess.spawn() (default import): a proxy that requires on first use
    b.onLoad({ filter: /.*/, namespace: 'builtin-lazy' }, (args) => ({
      contents: `let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require(${JSON.stringify(args.path)}))[k] });`,
      loader: 'js',
    }));
  },
};
rmSync(join(root, 'dist'), { recursive: true, force: true });
/**
 * client-node's package.json does not say `sideEffects: false`, so a bundler keeps every module of
 * its generated API (thousands of models) although mesh uses KubeConfig alone: importing that chunk
 * took about 270 ms of every command that talks to a cluster. Its modules only define things.
 */
const clientNodeWithoutSideEffects = {
  name: 'client-node-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'client-node' || !/@kubernetes[\\/]client-node[\\/]/.test(`${args.importer}|${args.path}`)) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'client-node' });
      if (resolved.errors.length || !/[\\/]@kubernetes[\\/]client-node[\\/]/.test(resolved.path)) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
};

/**
 * client-node imports undici (Agent, ProxyAgent, fetch) at the top of its config, watch, log,
 * metrics and health modules, so importing KubeConfig evaluated all of undici: about 40 ms of
 * every command that talks to a cluster. mesh sends its requests through node:https with the
 * options KubeConfig.applyToHTTPSOptions gives, so undici is only needed if client-node's own
 * fetch path is taken: this facade requires it on first use. A name client-node starts to import
 * that the facade lacks fails the build (esbuild checks ESM imports), not a run.
 */
const lazyUndiciInClientNode = {
  name: 'lazy-undici-in-client-node',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => {
      if (args.pluginData === 'undici-facade' || !/[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer)) return undefined;
      return { path: 'undici', namespace: 'undici-facade', pluginData: { resolveDir: args.resolveDir } };
    });
    b.onLoad({ filter: /.*/, namespace: 'undici-facade' }, (args) => ({
      contents: [
        "const load = () => require('undici');",
        'export class Agent { constructor(options) { return new (load().Agent)(options); } }',
        'export class ProxyAgent { constructor(options) { return new (load().ProxyAgent)(options); } }',
        'export const fetch = (...args) => load().fetch(...args);',
      ].join('\n'),
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
      pluginData: 'undici-facade',
    }));
  },
};

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
  // Without whitespace and comments a chunk is smaller and pure ASCII, which Node decodes and V8
  // parses on a fast path: one non-ASCII byte in a comment made zod's and yaml's 1 MB chunk cost
  // 14 ms to decode on the 2-core machine. Names stay, so --verbose stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [builtinsViaRequire, lazyUndiciInClientNode, clientNodeWithoutSideEffects],
});
