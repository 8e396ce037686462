import type { V1Deployment, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { CheckDefinition, Facts, Verdict } from '../types.js';
import { isPodReady, podsOfSelector } from '../workload-status.js';
import { ok, skip, warn } from './shared.js';

/** Gateway Services: labelled as Istio's gateways, or named by the install record. */
function gatewayServices(facts: Facts): V1Service[] {
  const recorded = facts.record.value?.workloads ?? [];
  return facts.services.items.filter(
    (s) =>
      ['ingressgateway', 'egressgateway'].includes(s.metadata?.labels?.istio ?? '') ||
      (recorded.includes(`Deployment/${s.metadata?.namespace}/${s.metadata?.name}`) && /gateway/.test(s.metadata?.name ?? '')),
  );
}

/** The port people send HTTP to: named http2/http, else 80, else the first that is not the status port. */
const httpPort = (ports: V1ServicePort[]): V1ServicePort | undefined =>
  ports.find((p) => p.name === 'http2' || p.name === 'http') ??
  ports.find((p) => p.port === 80) ??
  ports.find((p) => p.name !== 'status-port');

const url = (host: string, port: number | string | undefined) =>
  `http://${host.includes(':') ? `[${host}]` : host}${port === undefined || Number(port) === 80 ? '' : `:${port}`}`;

export interface Reach {
  /** One line: the gateway, its mode and the URL(s) it answers on. */
  line: string;
  /** No address yet: what to do about it. */
  pending?: string;
  /** The URLs it answers on, when known. */
  urls: string[];
}

/**
 * How a gateway is reached from outside, as the seeds work it out: a LoadBalancer's address, else
 * a node port on a node's address (the gateway pod's hostIP, seed 001), else, on the host's
 * network, the node's address and the port the proxy listens on.
 */
export function reachOf(service: V1Service, facts: { deployments: { items: V1Deployment[] }; pods: { items: V1Pod[] } }): Reach {
  const ns = service.metadata?.namespace ?? '';
  const name = service.metadata?.name ?? '?';
  const type = service.spec?.type ?? 'ClusterIP';
  const port = httpPort(service.spec?.ports ?? []);
  const deployment: V1Deployment | undefined = facts.deployments.items.find(
    (d) => d.metadata?.namespace === ns && d.metadata?.name === name,
  );
  const pods = podsOfSelector(service.spec?.selector, facts.pods.items, ns).filter(isPodReady);
  const nodeAddresses = [...new Set(pods.map((p) => p.status?.hostIP).filter((ip): ip is string => !!ip))];
  const nodeUrls = (nodePort: number | string | undefined) => nodeAddresses.map((ip) => url(ip, nodePort));
  const onNodes = (nodePort: number | string | undefined) =>
    nodeAddresses.length ? nodeUrls(nodePort).join(' ') : `http://<node address>:${nodePort} (no Ready pod yet)`;
  if (deployment?.spec?.template?.spec?.hostNetwork) {
    const hostPort = port?.targetPort ?? port?.port;
    return { line: `${name} hostNetwork: ${onNodes(hostPort)}`, urls: nodeUrls(hostPort) };
  }
  if (type === 'LoadBalancer') {
    const ingress = service.status?.loadBalancer?.ingress ?? [];
    if (ingress.length) {
      const urls = ingress.map((i) => url(i.ip ?? i.hostname ?? '?', port?.port));
      return { line: `${name} LoadBalancer: ${urls.join(' ')}`, urls };
    }
    const meanwhile = port?.nodePort ? ` (meanwhile its node port: ${onNodes(port.nodePort)})` : '';
    return {
      line: `${name} LoadBalancer without an external address${meanwhile}`,
      pending: name,
      urls: port?.nodePort ? nodeUrls(port.nodePort) : [],
    };
  }
  if (type === 'NodePort') return { line: `${name} NodePort: ${onNodes(port?.nodePort)}`, urls: nodeUrls(port?.nodePort) };
  const inCluster = url(`${name}.${ns}.svc`, port?.port);
  return { line: `${name} ${type}: in-cluster only, ${inCluster}`, urls: [inCluster] };
}

function gatewayReach(facts: Facts): Verdict {
  const gateways = gatewayServices(facts);
  if (!gateways.length) return skip('no gateways installed');
  const reaches = gateways.map((s) => reachOf(s, facts));
  const objects = gateways.map((s) => `Service/${s.metadata?.namespace}/${s.metadata?.name}`);
  const pending = reaches.flatMap((r) => r.pending ?? []);
  const message = reaches.map((r) => r.line).join('; ');
  if (pending.length)
    return warn(
      message,
      'this cluster has no load-balancer controller (kind, kwok, bare metal?): install with --ingress-type NodePort ' +
        '(--ingress-node-port http=32000) or --ingress-host-network, or install MetalLB',
      objects,
    );
  return ok(message, objects);
}

export const gatewayChecks: CheckDefinition[] = [
  {
    id: 'gateway-services',
    category: 'gateways',
    description: 'gateways reachable, and how',
    means:
      "each gateway's URL (LoadBalancer address, node port on a node's address, or the node's address on hostNetwork); " +
      'a LoadBalancer without an address warns',
    fix: '`--ingress-type NodePort`, `--ingress-host-network`, or a load-balancer controller',
    reads: ['services', 'deployments', 'pods', 'record'],
    run: gatewayReach,
  },
];
