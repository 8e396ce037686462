// The floor under `mesh --help` (bench:startup): a commander program with mesh's surface (its
// global options and 14 commands with descriptions as long as mesh's) and nothing else, bundled
// and cached as mesh is. What any commander CLI of this size costs before doing any work.
import { Command } from 'commander';

export function program() {
  const p = new Command('mesh')
    .description('Install, verify and remove an Istio service mesh on Kubernetes')
    .version('0.0.0', '--version', 'print the mesh version')
    .option('--kubeconfig <path>', 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: current-context)')
    .option('-n, --istio-namespace <ns>', 'namespace of the Istio control plane (default: istio-system, or what the profile sets)')
    .option('-o, --output <format>', 'output format (text, json, yaml, junit: see each command)')
    .option('--verbose', 'print stack traces and the commands mesh runs')
    .option('--no-color', 'disable colour (also NO_COLOR=1)')
    .exitOverride();
  const commands = [
    ['profile', 'list, show and compare install profiles'],
    ['render', 'print what install would apply: an IstioOperator (istioctl) or one values document per chart (helm)'],
    ['install', 'install or converge Istio with a profile, then wait until the control plane is ready'],
    ['diff', 'show what `mesh install` with the same flags would change: each object created, changed (field by field) or deleted'],
    ['upgrade', 'upgrade Istio: a canary revision beside the old one (default), namespaces and tags moved to it; or --in-place'],
    ['uninstall', 'remove what `mesh install` created, as its install record says'],
    ['verify', 'check that the mesh is installed and healthy (-o text|json|junit); exit 0 ok, 5 failed, 4 unreachable'],
    ['status', 'show the install record beside the live state of what it installed, and drift since (-o text|json)'],
    ['tag', 'revision tags: stable names (prod, default) that namespaces use and that move between revisions'],
    ['istio', 'get Istio releases (istioctl, charts, samples) verified by checksum, and choose the one mesh uses'],
    ['addons', "install, list and remove Istio's sample addons (prometheus, grafana, kiali, jaeger, zipkin, loki)"],
    ['sample', "Istio's bookinfo sample from the release matching your Istio: deploy, check, remove"],
    ['dashboard <name> [pod]', "open an addon's UI, a proxy's admin page or istiod's ControlZ through a port-forward"],
    ['completion <shell>', 'print a shell completion script for bash, zsh or fish'],
  ];
  for (const [name, description] of commands) p.command(name).description(description).exitOverride();
  return p;
}

export async function main(argv) {
  try {
    await program().parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error.exitCode !== 0) throw error;
  }
  return 0;
}
