// The floor under `mesh render --profile demo` (bench:startup): the commander program of help.mjs,
// plus the yaml library reading the demo profile and writing the IstioOperator mesh prints, and
// nothing else (no schema, no merge, no render). What reading and writing YAML from a commander
// CLI costs before mesh does any of its own work.
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { program } from './help.mjs';

export async function main(argv) {
  const p = program();
  p.commands
    .find((c) => c.name() === 'render')
    .option('--profile <file>', 'a mesh profile file')
    .action((options) => {
      const profile = parseDocument(readFileSync(options.profile, 'utf8'), { version: '1.2' }).toJS();
      const doc = {
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name: `mesh-${profile.name}` },
        spec: { profile: profile.istioProfile },
      };
      process.stdout.write(stringify(doc, { version: '1.1', lineWidth: 0 }));
    });
  await p.parseAsync(argv, { from: 'user' });
  return 0;
}
