import { usageError } from '../errors.js';
import { getPath, inline, isTree, type Tree } from '../profiles/merge.js';
import type { Profile } from '../profiles/schema.js';
import { validateSpec } from '../profiles/resolve.js';
import { installContents } from './workloads.js';
import type { ExposureOptions } from '../cli/profile-input.js';

export const INGRESS_TYPES = ['LoadBalancer', 'NodePort', 'ClusterIP'] as const;

/**
 * The ingress gateway's Service ports in Istio 1.31's chart (manifests/charts/gateways/istio-ingress:
 * values.yaml, and files/profile-<profile>.yaml where a profile has its own list; a test holds
 * these copies against the testbed's Istio source). istioctl hands `k8s.service.ports` to the chart
 * as the whole list, so adding a node port means giving the list: the user's own when they wrote
 * one, else the one the chart would render for their profile.
 */
export const ISTIO_INGRESS_PORTS: readonly Tree[] = [
  { port: 15021, targetPort: 15021, name: 'status-port', protocol: 'TCP' },
  { port: 80, targetPort: 8080, name: 'http2', protocol: 'TCP' },
  { port: 443, targetPort: 8443, name: 'https', protocol: 'TCP' },
];
export const ISTIO_INGRESS_PORTS_BY_PROFILE: Readonly<Record<string, readonly Tree[]>> = {
  demo: [
    { port: 15021, targetPort: 15021, name: 'status-port' },
    { port: 80, targetPort: 8080, name: 'http2' },
    { port: 443, targetPort: 8443, name: 'https' },
    { port: 31400, targetPort: 31400, name: 'tcp' },
    { port: 15443, targetPort: 15443, name: 'tls' },
  ],
};

/** What people call the chart's ports. */
const PORT_ALIASES: Record<string, string> = { http: 'http2', status: 'status-port' };

const hasIngressFlags = (o: ExposureOptions) =>
  o.ingressType !== undefined || !!o.ingressNodePort?.length || o.ingressHostNetwork === true || !!o.ingressNodeSelector?.length;
const hasCniFlags = (o: ExposureOptions) => o.cni === true || o.cniNamespace !== undefined || !!o.cniExcludeNamespace?.length;

/**
 * The exposure and CNI flags, written into the user's IstioOperator as the fields istioctl reads
 * (`k8s.service`, `k8s.nodeSelector`, `k8s.overlays` where no field exists, `components.cni`,
 * `values.cni`), after -f and --set: a flag is the most specific thing the user said. Nothing of
 * Istio's defaults is restated except the gateway's port list, which istioctl only takes whole.
 */
export function applyExposure(profile: Profile, options: ExposureOptions): Profile {
  if (!hasIngressFlags(options) && !hasCniFlags(options)) return profile;
  let spec = structuredClone(profile.spec) as Tree;
  if (hasIngressFlags(options)) spec = withIngressExposure(profile, spec, options);
  if (hasCniFlags(options)) spec = withCni(profile, spec, options);
  return { ...profile, spec: validateSpec(spec, 'the exposure flags') };
}

function withIngressExposure(profile: Profile, spec: Tree, options: ExposureOptions): Tree {
  const contents = installContents(profile);
  const gateways = contents.components.filter((c) => c.component === 'ingressGateways');
  const flag = options.ingressType
    ? '--ingress-type'
    : options.ingressNodePort?.length
      ? '--ingress-node-port'
      : options.ingressHostNetwork
        ? '--ingress-host-network'
        : '--ingress-node-selector';
  if (!gateways.length)
    throw usageError(
      `${flag}: profile ${profile.name} installs no ingress gateway`,
      'use a profile with one (default, demo), or add one: --set components.ingressGateways[0].name=istio-ingressgateway',
    );
  const nodePorts = parseNodePorts(options.ingressNodePort ?? []);
  const type = ingressType(options, nodePorts.size > 0);
  if (gateways.length > 1 && (nodePorts.size || options.ingressHostNetwork))
    throw usageError(
      `${flag}: the profile has ${gateways.length} ingress gateways (${gateways.map((g) => g.name).join(', ')}), ` +
        'which cannot share node ports',
      'set each gateway under components.ingressGateways[name:<gateway>].k8s in an overlay (-f)',
    );
  const nodeSelector = parseLabels(options.ingressNodeSelector ?? []);
  // istioctl replaces the profile's gateway list with the user's, so the user's list is the
  // effective one (the profile's entries when the user wrote none), each on entry changed.
  const effectiveList = getPath(contents.effective, ['spec', 'components', 'ingressGateways']);
  const list: Tree[] = (Array.isArray(effectiveList) ? effectiveList : [{ name: 'istio-ingressgateway' }]).map((item) =>
    isTree(item) ? structuredClone(item) : {},
  );
  // The port list the chart would render: the user's values, else the chart's for the profile.
  const chartProfile = getPath(contents.effective, ['spec', 'values', 'profile']);
  const legacyPorts =
    getPath(contents.effective, ['spec', 'values', 'gateways', 'istio-ingressgateway', 'ports']) ??
    (typeof chartProfile === 'string' ? ISTIO_INGRESS_PORTS_BY_PROFILE[chartProfile] : undefined);
  for (const entry of list) {
    const name = typeof entry.name === 'string' ? entry.name : 'istio-ingressgateway';
    if (!gateways.some((g) => (g.name ?? 'istio-ingressgateway') === name)) continue;
    const k8s: Tree = isTree(entry.k8s) ? entry.k8s : (entry.k8s = {});
    const service: Tree = isTree(k8s.service) ? k8s.service : {};
    if (type) service.type = type;
    if (nodePorts.size) {
      const base = Array.isArray(service.ports) ? service.ports : Array.isArray(legacyPorts) ? legacyPorts : ISTIO_INGRESS_PORTS;
      service.ports = withNodePorts(base as Tree[], nodePorts);
    }
    if (Object.keys(service).length) k8s.service = service;
    if (Object.keys(nodeSelector).length) k8s.nodeSelector = { ...(isTree(k8s.nodeSelector) ? k8s.nodeSelector : {}), ...nodeSelector };
    if (options.ingressHostNetwork) {
      // No k8s field says hostNetwork: an overlay patches the Deployment, and a pod on the host's
      // network needs ClusterFirstWithHostNet to keep resolving cluster names.
      const overlays: unknown[] = Array.isArray(k8s.overlays) ? k8s.overlays : [];
      k8s.overlays = [
        ...overlays,
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name,
          patches: [
            { path: 'spec.template.spec.hostNetwork', value: true },
            { path: 'spec.template.spec.dnsPolicy', value: 'ClusterFirstWithHostNet' },
          ],
        },
      ];
    }
  }
  const components: Tree = isTree(spec.components) ? spec.components : (spec.components = {});
  components.ingressGateways = list;
  return spec;
}

function ingressType(options: ExposureOptions, hasNodePorts: boolean): string | undefined {
  const type = options.ingressType;
  if (type !== undefined) {
    const known = INGRESS_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
    if (!known) throw usageError(`--ingress-type ${type}: not a gateway Service type`, `use one of: ${INGRESS_TYPES.join(', ')}`);
    if (known === 'ClusterIP' && hasNodePorts)
      throw usageError('--ingress-node-port: a ClusterIP Service has no node ports', 'use --ingress-type NodePort (or LoadBalancer)');
    return known;
  }
  // Node ports asked for without a type: the seeds' bare-metal NodePort Service.
  return hasNodePorts ? 'NodePort' : undefined;
}

/** `http=32000,https=32443` -> name or port number -> node port. */
export function parseNodePorts(values: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of values.flatMap((v) => v.split(',')).map((s) => s.trim())) {
    if (!item) continue;
    const match = /^([a-z0-9-]+)=(\d{1,5})$/i.exec(item);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535)
      throw usageError(
        `--ingress-node-port ${item}: expected <port name or number>=<node port>`,
        'e.g. --ingress-node-port http=32000,https=32443',
      );
    const key = match[1].toLowerCase();
    out.set(PORT_ALIASES[key] ?? key, port);
  }
  return out;
}

function withNodePorts(ports: Tree[], nodePorts: Map<string, number>): Tree[] {
  const out = ports.map((p) => (isTree(p) ? { ...p } : {}));
  for (const [key, nodePort] of nodePorts) {
    const port = out.find((p) => p.name === key || String(p.port) === key);
    if (!port)
      throw usageError(
        `--ingress-node-port ${key}=${nodePort}: the ingress gateway has no port named or numbered ${key}`,
        `its ports: ${out.map((p) => `${inline(p.name)} (${inline(p.port)})`).join(', ')}; http means http2`,
      );
    port.nodePort = nodePort;
  }
  return out;
}

const LABEL =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?=([a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?)?$/;

function parseLabels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values.flatMap((v) => v.split(',')).map((s) => s.trim())) {
    if (!item) continue;
    if (!LABEL.test(item))
      throw usageError(
        `--ingress-node-selector ${item}: expected a node label key=value`,
        'e.g. --ingress-node-selector node-role.kubernetes.io/edge=',
      );
    const eq = item.indexOf('=');
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * Seed 002's CNI plugin: in kube-system (where system-node-critical pods belong; the chart gives
 * its DaemonSet that priority class), leaving the Istio namespace and kube-system alone unless
 * told which namespaces to leave.
 */
function withCni(profile: Profile, spec: Tree, options: ExposureOptions): Tree {
  const contents = installContents(
    options.cni ? { ...profile, spec: { ...profile.spec, components: { ...profile.spec.components, cni: { enabled: true } } } } : profile,
  );
  if (!contents.components.some((c) => c.component === 'cni'))
    throw usageError(
      `${options.cniNamespace !== undefined ? '--cni-namespace' : '--cni-exclude-namespace'}: the CNI plugin is not part of this install`,
      'add --cni',
    );
  if (options.cni || options.cniNamespace !== undefined) {
    // Written only when asked: an empty `cni: {}` would itself switch the component on, as istioctl reads it.
    const components: Tree = isTree(spec.components) ? spec.components : (spec.components = {});
    const cni: Tree = isTree(components.cni) ? components.cni : (components.cni = {});
    if (options.cni) cni.enabled = true;
    const named = typeof cni.namespace === 'string' && cni.namespace ? cni.namespace : undefined;
    cni.namespace = options.cniNamespace ?? named ?? 'kube-system';
  }
  const userExcludes = getPath(spec, ['values', 'cni', 'excludeNamespaces']);
  const excludes = options.cniExcludeNamespace?.length
    ? options.cniExcludeNamespace
        .flatMap((v) => v.split(','))
        .map((s) => s.trim())
        .filter(Boolean)
    : options.cni && userExcludes === undefined
      ? [contents.istioNamespace, 'kube-system']
      : undefined;
  if (excludes) {
    const values: Tree = isTree(spec.values) ? spec.values : (spec.values = {});
    const cniValues: Tree = isTree(values.cni) ? values.cni : (values.cni = {});
    cniValues.excludeNamespaces = [...new Set(excludes)];
  }
  return spec;
}
