#!/usr/bin/env node
// Bundles dist/ with esbuild: one entry (dist/main.js) plus chunks split at every `await import()`,
// so heavy modules (client-node) still load only in commands that talk to a cluster, while the
// hundreds of small files they are made of no longer cost a file-system lookup each at start-up.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinsViaRequire, READ_ACCESSORS_AT_LOAD, yamlAsEsModules } from './bundle-plugins.mjs';
import { planChunkMerges } from './chunk-merges.mjs';
import { readCommandListings } from './command-listings.mjs';
import { parseShippedProfiles } from './shipped-profiles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(root, 'dist');
/** Chunk files as esbuild's metafile names them. */
const CHUNKS = 'dist/chunks/';
const requireHere = createRequire(import.meta.url);

rmSync(DIST, { recursive: true, force: true });
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

const UNDICI_FILE = 'vendor/undici.cjs';
/** Chunks sit in dist/chunks, so the path is relative to there; the build checks where it is used. */
const UNDICI_FROM_CHUNK = `../${UNDICI_FILE}`;

/**
 * client-node imports, at the top of its config module, packages it needs only on paths mesh
 * rarely or never takes; each is replaced, for client-node alone, by a facade that loads the
 * package on first use:
 * - undici (Agent, ProxyAgent, fetch), also imported by its watch, log, metrics and health modules:
 *   about 40 ms of every command that talks to a cluster. mesh sends its requests through
 *   node:https with the options KubeConfig.applyToHTTPSOptions gives, so undici is only needed if
 *   client-node's own fetch path is taken. undici is one CommonJS file of about 1 MB once bundled:
 *   it is built on its own into dist/vendor/undici.cjs, which both the facade and mesh's download
 *   (`await import('undici')`) load. Bundled into client-node's chunk, V8 still read the megabyte
 *   on every cluster command (about 10 ms), and download's chunk held a second copy.
 * - socks-proxy-agent and socks (with ip-address, smart-buffer and debug), for a kubeconfig
 *   `proxy-url: socks5://...`: about 8 ms. They stay in the bundle, evaluated on first use.
 * A name client-node starts to import that a facade lacks fails the build (esbuild checks ESM
 * imports), not a run.
 */
const LAZY_IN_CLIENT_NODE = {
  undici: { load: UNDICI_FROM_CHUNK, classes: ['Agent', 'ProxyAgent'], functions: ['fetch'] },
  'socks-proxy-agent': { load: 'socks-proxy-agent', classes: ['SocksProxyAgent'] },
  // Used as SocksClient.createConnection(...): a view of the real class's statics.
  socks: { load: 'socks', objects: ['SocksClient'] },
};
const facade = ({ load, classes = [], functions = [], objects = [] }) =>
  [
    `let loaded; const load = () => (loaded ??= require(${JSON.stringify(load)}));`,
    ...classes.map((name) => `export class ${name} { constructor(...args) { return new (load().${name})(...args); } }`),
    ...functions.map((name) => `export const ${name} = (...args) => load().${name}(...args);`),
    ...objects.map((name) => `export const ${name} = new Proxy({}, { get: (_, key) => load().${name}[key] });`),
  ].join('\n');
const lazyInClientNode = {
  name: 'lazy-in-client-node',
  setup(b) {
    const names = [...Object.keys(LAZY_IN_CLIENT_NODE), UNDICI_FROM_CHUNK].map((name) => name.replace(/[-/.]/g, '\\$&'));
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => {
      if (args.namespace !== 'lazy-facade' && /[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer))
        return { path: args.path, namespace: 'lazy-facade', pluginData: { resolveDir: args.resolveDir } };
      // Everyone else's undici (the facade's, mesh's download) is the file built on its own.
      if (args.path === 'undici' || args.path === UNDICI_FROM_CHUNK) return { path: UNDICI_FROM_CHUNK, external: true };
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-facade' }, (args) => ({
      contents: facade(LAZY_IN_CLIENT_NODE[args.path]),
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
    }));
  },
};

/** What every build here shares. */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  legalComments: 'none',
  // Without whitespace and comments a chunk is smaller and pure ASCII, which Node decodes and V8
  // parses on a fast path: one non-ASCII byte in a comment made zod's and yaml's 1 MB chunk cost
  // 14 ms to decode on the 2-core machine. Names stay, so --verbose stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/** What mesh's bundle is made with, beside where it goes; the build-time read of the listings too. */
const MESH_BUNDLE_OPTIONS = {
  ...BUNDLE_OPTIONS,
  format: 'esm',
  // CommonJS dependencies (undici, js-yaml) call require(); give the ESM bundle a real one.
  banner: {
    js: "import { createRequire as __meshCreateRequire } from 'node:module'; const require = __meshCreateRequire(import.meta.url);",
  },
  // Optional native add-ons of `ws`; absent is fine.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [yamlAsEsModules, builtinsViaRequire, lazyInClientNode, clientNodeWithoutSideEffects],
};

const { metafile } = await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outdir: join(root, 'dist'),
  ...MESH_BUNDLE_OPTIONS,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  define: {
    MESH_SHIPPED_PROFILES: JSON.stringify(JSON.stringify(parseShippedProfiles(join(root, 'profiles')))),
    MESH_COMMAND_LISTINGS: JSON.stringify(JSON.stringify(await readCommandListings(root, MESH_BUNDLE_OPTIONS))),
  },
});
const accessorsRead = new Set();
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (output.imports.some((i) => i.path === UNDICI_FROM_CHUNK) && !file.startsWith('dist/chunks/'))
    throw new Error(`${file} imports undici as ${UNDICI_FROM_CHUNK}, a path that only holds from dist/chunks/`);
  const text = readFileSync(join(root, file), 'utf8');
  for (const [, builtin, reader] of text.matchAll(/__builtin\d*=__require\("(node:[a-z_/]+)"\),__read\d*=[^,]*,(__readAccessor\d*)=/g))
    for (const [, name] of text.matchAll(new RegExp(`\\b${reader}\\("(\\w+)"\\)`, 'g'))) {
      if (!READ_ACCESSORS_AT_LOAD.has(`${builtin} ${name}`))
        throw new Error(
          `${file} imports ${name} from ${builtin} by name: an accessor, whose getter would run at start-up; import the module and read ${name} where it is used`,
        );
      accessorsRead.add(`${builtin} ${name}`);
    }
}
// The check reads esbuild's output: if it no longer finds the one read it allows, it can no longer see any.
for (const allowed of READ_ACCESSORS_AT_LOAD)
  if (!accessorsRead.has(allowed))
    throw new Error(
      `the builtin accessor check did not find ${allowed}: esbuild's output changed, or nothing imports it any more (then drop it)`,
    );

/**
 * The shared chunks every command loads, folded into main.js. esbuild puts each set of modules
 * that the entry and the lazily imported commands share in a chunk of its own (the errors, the
 * version, the interrupt handling, its runtime helpers: seven files of 0.2-2 KB), and Node pays
 * about 0.45 ms for each module it resolves, reads and links (farm-bench: eight tiny modules
 * against one file, 1.12x of a bare start). A second esbuild pass bundles main.js with them,
 * main.js exports what they exported, and the chunks that imported them import main.js instead
 * (the same module instance: a chunk is only ever loaded after main.js).
 */
async function foldStartupChunks() {
  const startup = new Set();
  const visit = (file) => {
    for (const i of metafile.outputs[file].imports)
      if (i.kind === 'import-statement' && i.path.startsWith(CHUNKS) && !startup.has(i.path)) {
        startup.add(i.path);
        visit(i.path);
      }
  };
  visit('dist/main.js');
  const names = [...startup].map((chunk) => chunk.slice(CHUNKS.length));
  // (no banner: each file folded in brings its own `require`, which esbuild keeps apart)
  await bundleTogether(join(DIST, 'main.js'), ['./main.js', ...names.map((name) => `./chunks/${name}`)]);
  redirectImports(new Map(names.map((name) => [name, '../main.js'])), 'main.js');
  return startup;
}

/**
 * The commands' shared chunks merged where no command loads a file or a Node builtin more for it
 * (the plan and its rules: scripts/chunk-merges.mjs). Files of dist/ loaded, before and after:
 * `render` 6 and 3, `install --dry-run` 11 and 5, `verify` 26 and 13, `status` 22 and 12. Each
 * file costs Node a resolve, a read and a link.
 */
async function mergeSharedChunks(folded) {
  const chunks = Object.keys(metafile.outputs).filter((file) => file.startsWith(CHUNKS) && file.endsWith('.js') && !folded.has(file));
  // What main.js (with what was folded into it) loads, every command has loaded already.
  const loadedAtStart = new Set(['dist/main.js', ...folded].flatMap((file) => metafile.outputs[file].imports.map((i) => i.path)));
  // The commands: every file something loads with import().
  const entries = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path.slice(CHUNKS.length)),
  );
  const files = {};
  for (const file of chunks) {
    const imports = [];
    for (const i of metafile.outputs[file].imports) {
      if (i.kind === 'dynamic-import') continue;
      // A builtin a chunk requires counts as a file it loads: node:crypto costs more than a file.
      if (i.path.startsWith('node:') && !loadedAtStart.has(i.path)) imports.push(i.path);
      else if (i.path.startsWith(CHUNKS) && !folded.has(i.path)) imports.push(i.path.slice(CHUNKS.length));
    }
    files[file.slice(CHUNKS.length)] = { bytes: metafile.outputs[file].bytes, imports };
  }
  const redirect = new Map();
  for (const [target, merged] of planChunkMerges(files, [...new Set(entries)])) {
    const together = [target, ...merged];
    await bundleTogether(
      join(DIST, 'chunks', target),
      together.map((name) => `./chunks/${name}`),
    );
    for (const name of merged) redirect.set(name, `./${target}`);
  }
  redirectImports(redirect, 'the chunk it was merged into');
}

/**
 * One esbuild pass over already bundled files: `outfile` exports all that `files` (relative to
 * dist/) exported, and everything else they import stays an import. Fails if two of them export
 * the same name (an `export *` of both would silently export neither).
 */
async function bundleTogether(outfile, files) {
  const exported = new Map();
  for (const output of files.map((file) => join('dist', file)))
    for (const name of metafile.outputs[output].exports) {
      if (exported.has(name)) throw new Error(`${output} and ${exported.get(name)} both export ${name}: cannot bundle them together`);
      exported.set(name, output);
    }
  const together = new Set(files.map((file) => join(DIST, file)));
  await build({
    stdin: {
      contents: files.map((file) => `export * from ${JSON.stringify(file)};`).join('\n'),
      resolveDir: DIST,
      sourcefile: 'bundle-together.js',
    },
    outfile,
    allowOverwrite: true,
    ...BUNDLE_OPTIONS,
    format: 'esm',
    plugins: [
      {
        name: 'keep-the-rest-apart',
        setup(b) {
          // Every other file (chunks, main.js, a command's lazily imported chunk) stays where it is.
          b.onResolve({ filter: /.*/ }, (args) =>
            args.kind !== 'dynamic-import' && together.has(join(args.resolveDir, args.path))
              ? undefined
              : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}

/** Every chunk's imports of a chunk in `redirect` go where it says; then that chunk's file goes. */
function redirectImports(redirect, where) {
  const chunkFiles = () => readdirSync(join(DIST, 'chunks')).map((file) => join(DIST, 'chunks', file));
  for (const name of redirect.keys()) rmSync(join(DIST, 'chunks', name));
  for (const path of chunkFiles()) {
    const text = readFileSync(path, 'utf8');
    const moved = text.replace(/(from|import)"\.\/(chunk-[\w-]+\.js)"/g, (whole, keyword, name) =>
      redirect.has(name) ? `${keyword}${JSON.stringify(redirect.get(name))}` : whole,
    );
    if (moved !== text) writeFileSync(path, moved);
  }
  for (const file of [join(DIST, 'main.js'), ...chunkFiles()]) {
    const text = readFileSync(file, 'utf8');
    const left = [...redirect.keys()].find((name) => text.includes(name));
    if (left) throw new Error(`${file} still refers to ${left}, moved into ${where}`);
  }
}
await mergeSharedChunks(await foldStartupChunks());

await build({
  entryPoints: [requireHere.resolve('undici')],
  outfile: join(root, 'dist', UNDICI_FILE),
  ...BUNDLE_OPTIONS,
  format: 'cjs',
});
