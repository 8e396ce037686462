import type { InstallRecord } from './record.js';
import { LOCK_NAME } from '../install/lock-name.js';
import { kubeFlags, recordName } from './install.js';
import type { KubeTarget } from '../adapters/kube.js';
import { placeholder, type Plan, type PlanStep } from './types.js';

export interface UninstallPlanInput {
  record: InstallRecord;
  purge: boolean;
  target: KubeTarget;
  timeoutSeconds: number;
  /** Control planes of other revisions mesh recorded in the same namespace: what they share stays. */
  otherRevisions?: InstallRecord[];
  /** The helm release of the base chart, when its default validator names this revision (read from the cluster). */
  defaultValidatorRelease?: { name: string; namespace: string };
}

/**
 * Where the base chart's default validator goes when its revision is removed beside others: the
 * most recently installed of them, upgraded with the chart that install used (--reuse-values keeps
 * every other value). Undefined when no other record knows that chart (records of earlier builds).
 */
export function defaultValidatorMove(
  release: { name: string; namespace: string },
  others: InstallRecord[],
): { revision: string; chartRef: string[] } | undefined {
  const successor = [...others].sort((a, b) => b.installedAt.localeCompare(a.installedAt))[0];
  const chartRef = others
    .flatMap((o) => o.releases)
    .find((r) => r.release === release.name && r.namespace === release.namespace && r.chartRef)?.chartRef;
  return successor && chartRef ? { revision: successor.revision || 'default', chartRef } : undefined;
}

/** The tags an upgrade moved to this revision whose earlier revision still runs: [tag, that revision]. */
export function tagsToMoveBack(record: InstallRecord, others: InstallRecord[]): Array<[string, string]> {
  const running = new Set(others.map((o) => o.revision || 'default'));
  return Object.entries(record.tagsMovedFrom ?? {}).filter(([, revision]) => running.has(revision));
}

/** Undo exactly what the record says install did, in reverse order. */
export function buildUninstallPlan(input: UninstallPlanInput): Plan {
  const { record, purge, target } = input;
  const ns = record.istioNamespace;
  const others = input.otherRevisions ?? [];
  const sharedReleases = new Set(others.flatMap((o) => o.releases.map((r) => `${r.namespace}/${r.release}`)));
  const files: Record<string, string> = {};
  const steps: PlanStep[] = [
    { id: 'preflight', description: 'check tools and that the cluster is reachable', checks: ['tools', 'cluster-reachable'] },
    { id: 'lock', description: `take the install lock (Lease ${ns}/${LOCK_NAME})`, lease: `${ns}/${LOCK_NAME}` },
  ];
  // Samples first: their pods carry the control plane's sidecars; removal gives each namespace back as it was.
  if (record.samples?.length)
    steps.push({
      id: 'delete',
      description: `remove the samples mesh deployed (${record.samples.map((x) => `${x.name} in ${x.namespace}`).join(', ')})`,
      what: record.samples.map((x) => `Sample/${x.namespace}/${x.name}`),
      waitSeconds: input.timeoutSeconds,
    });
  // Then addons: they sit on the control plane (kiali reads istiod), and their objects are listed one by one.
  if (record.addons?.length)
    steps.push({
      id: 'delete',
      description: `delete the addons mesh installed (${record.addons.map((a) => a.name).join(', ')}) and wait until they are gone`,
      what: record.addons.map((a) => `Addon/${a.name}`),
      waitSeconds: input.timeoutSeconds,
    });
  // Tags an upgrade moved here go back where they were (before the injector they point at goes).
  for (const [tag, revision] of tagsToMoveBack(record, others))
    steps.push({
      id: 'tag',
      description: `move tag ${tag} back to revision ${revision}, where it pointed before the upgrade`,
      tag,
      revision,
      onlyFrom: record.revision || 'default',
    });
  for (const { namespace, labels, previous } of record.labelledNamespaces)
    steps.push({
      id: 'label',
      description: `undo the injection labels mesh set on ${namespace}`,
      namespace,
      remove: Object.keys(labels).filter((k) => previous?.[k] === undefined),
      ...(previous && Object.keys(previous).length ? { set: previous } : {}),
    });
  if (record.backend === 'istioctl') {
    let argv: string[];
    if (purge) argv = ['uninstall', '--purge', '-y'];
    // Beside other revisions, istioctl's documented canary clean-up removes this revision only.
    else if (others.length) argv = ['uninstall', '--revision', record.revision || 'default', '-y'];
    else if (record.renderedSpec) {
      files['istio-operator.yaml'] = record.renderedSpec;
      argv = ['uninstall', '-f', placeholder('istio-operator.yaml'), '-y'];
    } else argv = ['uninstall', '--revision', record.revision || 'default', '-y'];
    steps.push({
      id: 'apply',
      description: `istioctl uninstall${purge ? ' --purge' : ''}`,
      tool: 'istioctl',
      argv: [...argv, ...kubeFlags('istioctl', target)],
    });
  } else {
    // Istio's helm canary docs: `helm upgrade istio-base --set defaultRevision=<rev>` before the old istiod goes.
    const release = input.defaultValidatorRelease;
    const move = release && defaultValidatorMove(release, others);
    if (release && move)
      steps.push({
        id: 'default-revision',
        description: `point Istio's default validation (release ${release.name}'s defaultRevision) at revision ${move.revision}`,
        revision: move.revision,
        argv: [
          'upgrade',
          release.name,
          ...move.chartRef,
          '--namespace',
          release.namespace,
          '--reuse-values',
          '--set',
          `defaultRevision=${move.revision}`,
          ...kubeFlags('helm', target),
        ],
      });
    for (const release of [...record.releases].reverse().filter((r) => !sharedReleases.has(`${r.namespace}/${r.release}`)))
      steps.push({
        id: 'apply',
        description: `helm uninstall ${release.release} in ${release.namespace}`,
        tool: 'helm',
        release: release.release,
        namespace: release.namespace,
        argv: [
          'uninstall',
          release.release,
          '--namespace',
          release.namespace,
          '--wait',
          '--timeout',
          `${input.timeoutSeconds}s`,
          ...kubeFlags('helm', target),
        ],
      });
  }
  if (purge)
    steps.push({
      id: 'delete',
      // `helm uninstall` leaves the CRDs behind; `istioctl uninstall --purge` deletes them itself.
      description:
        record.backend === 'helm'
          ? 'delete the Istio CRDs (helm uninstall leaves them behind)'
          : 'delete any Istio CRDs istioctl left behind',
      what: ['CustomResourceDefinition/*.istio.io'],
    });
  steps.push({
    id: 'record',
    description: `delete the install record ${ns}/${recordName(record.revision)}`,
    configMap: `${ns}/${recordName(record.revision)}`,
    action: 'delete',
  });
  // The Istio namespace stays while another revision's control plane lives in it.
  const created = record.createdNamespaces.filter(
    (n) => !record.labelledNamespaces.some((l) => l.namespace === n) && !(others.length && n === ns),
  );
  if (created.length)
    steps.push({
      id: 'delete',
      description: `delete namespaces the install created and wait until they are gone`,
      what: created.map((n) => `Namespace/${n}`),
      waitSeconds: input.timeoutSeconds,
    });
  // istiod copies its root certificate into every namespace while it runs; remove those copies last,
  // once no istiod is left to recreate them (another revision's istiod still uses them).
  if (!others.length)
    steps.push({
      id: 'delete',
      description: 'delete the root-certificate ConfigMaps istiod put in every namespace',
      what: ['ConfigMap/*/istio-ca-root-cert', 'ConfigMap/*/istio-ca-crl'],
    });
  return {
    schemaVersion: 1,
    kind: 'UninstallPlan',
    backend: record.backend,
    profile: record.profile,
    revision: record.revision,
    istioNamespace: ns,
    ...(target.context ? { context: target.context } : {}),
    steps,
    files,
  };
}
