#!/usr/bin/env node
// The only place that calls process.exit. Checks the Node version with syntax every Node
// understands, so that an old Node prints a clear message instead of a SyntaxError.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `mesh needs Node.js 22.12 or newer; this is Node ${process.versions.node}\nhint: install Node 22+ (e.g. \`npx -p node@24 -p istio-mesh mesh ...\`, or nvm install 24)\n`,
  );
  process.exit(3);
}
// Cache V8's compiled code between runs (Node >= 22.1): most of mesh's start-up is compiling
// commander and our command tree, and a warm cache halves it.
import('node:module')
  .then((m) => m.enableCompileCache?.())
  .catch(() => undefined)
  .then(() => import('../dist/main.js'))
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`mesh: unexpected failure: ${error && error.stack ? error.stack : error}\n`);
      process.exit(1);
    },
  );
