// esbuild plugins shared by the build (scripts/bundle.mjs) and the start-up bench's floors
// (bench/startup.mjs): how mesh's bundles load Node's builtins and the yaml library.
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Node builtins through require(), not ESM import. An ESM import of a builtin builds a namespace of
 * every export, which runs its lazy getters (`fs.promises`, `process.report`, `util.parseArgs`):
 * measured, that loaded 70 internal modules and took about 20 ms of `mesh --help` on the 2-core
 * machine. require() returns the object as is.
 * - An ESM importer (mesh's code, commander) gets a small ES module: the builtin as its default
 *   export and one named export per property, each read when its chunk loads and dropped by the
 *   bundler when nothing imports it. esbuild's CommonJS interop instead copied every property of
 *   the builtin into getters (two closures and a descriptor each, over the hundreds of properties
 *   of process, fs and util): about 380 KB of allocation, a quarter of what `mesh --help`
 *   allocates, and a young-generation collection (`mesh --help` and `render` 0.96x, farm-bench).
 *   An accessor property (`fs.promises`) runs its getter when read, so the build fails if one is
 *   imported by name, but for those in READ_ACCESSORS_AT_LOAD, measured free.
 * - A CommonJS importer (client-node and its dependencies) gets the object itself, as from Node.
 * - child_process (6-7 ms, with net and streams) is only needed when a command runs a tool, so it
 *   loads on first use: commander imports it at the top for executable subcommands, which mesh
 *   has none of.
 */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** `util.aborted`, imported by execa: its getter loads a module Node has loaded by then. */
export const READ_ACCESSORS_AT_LOAD = new Set(['node:util aborted']);
const requireHere = createRequire(import.meta.url);
/** A facade is one per importing file (it holds no state, and a shared one became a chunk file of its own). */
const facadePath = (builtin, importer) => `${builtin}|${importer}`;
const builtinOf = (path) => path.split('|')[0];
const builtinAsModule = (path) => {
  const real = requireHere(path);
  const exported = Object.getOwnPropertyNames(real).filter((name) => IDENTIFIER.test(name) && name !== 'default');
  const isAccessor = (name) => !('value' in Object.getOwnPropertyDescriptor(real, name));
  return [
    `const __builtin = require(${JSON.stringify(path)}), __read = (name) => __builtin[name], __readAccessor = __read;`,
    'export default __builtin;',
    // Marked pure, so that esbuild drops the ones nothing imports.
    ...exported.map(
      (name) => `export const ${name} = /* @__PURE__ */ ${isAccessor(name) ? '__readAccessor' : '__read'}(${JSON.stringify(name)});`,
    ),
  ].join('\n');
};
export const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    // Bare names too (`http`, `tls`): dependencies such as client-node's import them without
    // `node:`, and an ESM import of node:http alone loaded Node's internal undici (about 15 ms).
    b.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.path === 'node:module' || args.namespace.startsWith('builtin')) return { path: args.path, external: true };
      const path = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      if (path === 'node:child_process' && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer))
        return { path, namespace: 'builtin-lazy' };
      return { path: facadePath(path, args.importer), namespace: args.kind === 'require-call' ? 'builtin' : 'builtin-esm' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(builtinOf(args.path))});`,
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-esm' }, (args) => ({ contents: builtinAsModule(builtinOf(args.path)), loader: 'js' }));
    // commander only calls childProcess.spawn() on its default import: a proxy that requires on first use
    b.onLoad({ filter: /.*/, namespace: 'builtin-lazy' }, (args) => ({
      contents: `let m; export default new Proxy({}, { get: (_, k) => (m ??= require(${JSON.stringify(args.path)}))[k] });`,
      loader: 'js',
    }));
  },
};

/**
 * yaml as ES modules: the package serves Node its CommonJS build, whose 70 files esbuild wraps one
 * by one in CommonJS closures that run (and copy each module's exports) when the first is
 * required: about 3.5 ms of every command that reads YAML (render --profile demo 0.95x wall,
 * farm-bench, 25 pairs). Its ES module build is the same parser; it differs only in logging a
 * warning of `parse()` through console.warn rather than process.emitWarning (stderr both ways) and
 * in reading a YAML 1.1 `!!binary` value as a Uint8Array rather than a Buffer.
 */
export const yamlAsEsModules = {
  name: 'yaml-as-es-modules',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(dirname(requireHere.resolve('yaml/package.json')), 'browser', 'index.js') }));
  },
};
