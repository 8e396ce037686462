import type { Command } from 'commander';
import { collect } from './options.js';

/** How the ingress gateway is reached, and the CNI plugin: flags seeds 001 and 002 spell as YAML edits. */
export interface ExposureOptions {
  ingressType?: string;
  /** `http=32000,https=32443` (repeatable): a port's name, or its number, = the node port. */
  ingressNodePort?: string[];
  ingressHostNetwork?: boolean;
  /** `k=v` (repeatable): the nodes the ingress gateway runs on. */
  ingressNodeSelector?: string[];
  cni?: boolean;
  cniNamespace?: string;
  cniExcludeNamespace?: string[];
}

/** --profile, -f and --set, and the exposure and CNI flags: shared by render, install and profile show. */
export interface ProfileInputOptions extends ExposureOptions {
  /** Undefined when not given: then an overlay's spec.profile, else `default`, decides. */
  profile?: string;
  filename?: string[];
  set?: string[];
  /** The control plane's revision (istiod-<rev>), as istioctl's --revision: the same as --set revision=<rev>. */
  revision?: string;
}

export function addProfileInputOptions(command: Command): Command {
  return command
    .option(
      '--profile <name|file>',
      "built-in profile name (see `mesh profile list`) or a profile file (default: an overlay's spec.profile, else default)",
    )
    .option('-f, --filename <overlay.yaml>', 'overlay file (a partial profile or an IstioOperator); repeatable, later wins', collect, [])
    .option('--set <path=value>', 'set a spec value, istioctl syntax (a.b[0].c, a.b[name:x].c); repeatable, later wins', collect, [])
    .option('-r, --revision <rev>', 'control plane revision, side by side with others (istiod-<rev>); e.g. 1-31-0 (no dots)')
    .option('--ingress-type <type>', "the ingress gateway's Service type: LoadBalancer, NodePort or ClusterIP")
    .option(
      '--ingress-node-port <port=nodePort>',
      'fixed node ports, by port name or number (http=32000,https=32443); implies NodePort; repeatable',
      collect,
      [],
    )
    .option('--ingress-host-network', "run the ingress gateway on the nodes' network (hostNetwork, dnsPolicy ClusterFirstWithHostNet)")
    .option('--ingress-node-selector <key=value>', 'run the ingress gateway only on nodes with this label; repeatable', collect, [])
    .option('--cni', 'install the Istio CNI plugin (in kube-system) instead of privileged istio-init containers')
    .option('--cni-namespace <ns>', 'namespace of the CNI plugin (default with --cni: kube-system)')
    .option(
      '--cni-exclude-namespace <ns>',
      'namespace whose pods the CNI plugin leaves alone; repeatable (default with --cni: the Istio namespace and kube-system)',
      collect,
      [],
    );
}
