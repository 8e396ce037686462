import type { V1Pod } from '@kubernetes/client-node';
import { checkNamespace, istioNamespaceOf, type GlobalOptions } from '../../cli/options.js';
import { endsOnInterrupt, onInterrupt } from '../../adapters/cleanup.js';
import { createKubeGateway, type KubeGateway } from '../../adapters/kube.js';
import { forwardToPod } from '../../adapters/port-forward.js';
import { runProcess } from '../../adapters/process.js';
import { DASHBOARDS, POD_DASHBOARDS } from '../../addons/dashboards.js';
import { ExitCode, preflightError, usageError } from '../../errors.js';
import { hasSidecar } from '../../samples/bookinfo.js';
import { isPodReady, podProblem } from '../../verify/workload-status.js';
import type { DashboardOptions } from './options.js';

const NAMES = [...Object.keys(DASHBOARDS), ...Object.keys(POD_DASHBOARDS)];

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw usageError(`--port ${text}: not a port`, 'give 1-65535, or 0 for any free port');
  return Number(text);
}

/** The pod a dashboard opens: Ready, or an error saying why not and what to do. */
async function pickPod(kube: KubeGateway, name: string, pod: string | undefined, istioNs: string, options: DashboardOptions) {
  if (name === 'envoy') {
    if (!pod) throw usageError('dashboard envoy: name the pod whose proxy to open', 'mesh dashboard envoy <pod> [--namespace <ns>]');
    const ns = checkNamespace(options.namespace ?? 'default', '--namespace');
    const found = await kube.get<V1Pod>(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod)}`);
    if (!found) throw usageError(`dashboard envoy: no pod ${pod} in ${ns}`, "pass --namespace with the pod's namespace");
    if (!hasSidecar(found))
      throw preflightError(
        `dashboard envoy: pod ${ns}/${pod} has no istio-proxy`,
        'it is not in the mesh: see `mesh verify` (data-plane-injection)',
      );
    return ready(found, 'envoy');
  }
  const selector = name === 'controlz' ? 'app=istiod' : DASHBOARDS[name].selector;
  const pods = (await kube.list<V1Pod>(`/api/v1/namespaces/${istioNs}/pods`, { labelSelector: selector })).items.filter(
    (p) => !p.metadata?.deletionTimestamp,
  );
  const chosen = pod ? pods.find((p) => p.metadata?.name === pod) : (pods.find(isPodReady) ?? pods[0]);
  if (!chosen) {
    const addon = DASHBOARDS[name]?.addon;
    throw preflightError(
      pod
        ? `dashboard ${name}: no pod ${pod} (${selector}) in ${istioNs}`
        : `dashboard ${name}: ${addon ?? 'istiod'} is not installed in ${istioNs} (no pod ${selector})`,
      addon ? `mesh addons install ${addon}` : 'mesh install (or -n with the Istio namespace)',
    );
  }
  return ready(chosen, name);
}

function ready(pod: V1Pod, name: string): V1Pod {
  const problem = podProblem(pod);
  if (!isPodReady(pod))
    throw preflightError(
      `dashboard ${name}: pod ${pod.metadata?.namespace}/${pod.metadata?.name} is not Ready${problem ? ` (${problem})` : ''}`,
      '`mesh verify` says why; wait for it, or `kubectl describe pod` it',
    );
  return pod;
}

export async function dashboard(
  globals: GlobalOptions,
  name: string,
  podArg: string | undefined,
  options: DashboardOptions,
): Promise<number> {
  if (!NAMES.includes(name)) throw usageError(`dashboard ${name}: unknown`, `mesh opens: ${NAMES.join(', ')}`);
  const spec = DASHBOARDS[name] ?? POD_DASHBOARDS[name];
  const localPort = parsePort(options.port, spec.port);
  const istioNs = istioNamespaceOf(globals);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const pod = await pickPod(kube, name, podArg, istioNs, options);
  const ns = pod.metadata!.namespace!;
  const podName = pod.metadata!.name!;
  const forwarding = await forwardToPod(
    target,
    { namespace: ns, name: podName, port: spec.port },
    { address: options.address, port: localPort },
    (m) => process.stderr.write(`error: ${m}\n`),
  );
  const host = forwarding.address.includes(':') ? `[${forwarding.address}]` : forwarding.address;
  const url = `http://${host}:${forwarding.port}${spec.path}`;
  onInterrupt(() => forwarding.close());
  endsOnInterrupt(`closed the port-forward to ${ns}/${podName}`);
  // The URL alone on stdout, so a script can read it; the rest on stderr.
  process.stdout.write(`${url}\n`);
  process.stderr.write(`forwarding ${url} -> pod ${ns}/${podName}:${spec.port} (through ${kube.server}); Ctrl-C to close\n`);
  if (options.browser) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const opened = await runProcess(opener, [url]).catch(() => undefined);
    if (!opened || opened.exitCode !== 0) process.stderr.write(`could not start ${opener}: open ${url} yourself\n`);
  }
  // Runs until Ctrl-C or SIGTERM; main() then closes the listener and exits 0.
  await new Promise<never>(() => undefined);
  return ExitCode.ok;
}
