import type { V1Pod } from '@kubernetes/client-node';
import type { CheckDefinition, Facts, Verdict } from '../types.js';
import { minorsAhead, skewWarning, versionOfImage } from '../../istio/versions.js';
import { controlPlaneVersion, fail, istiodDeployments, ok, skip, warn } from './shared.js';
import { injectedRevision } from '../../revisions/usage.js';
import { injectionTarget, revisionTags } from '../../revisions/tags.js';
import { injectedNamespaces } from '../injected.js';

const proxyContainer = (pod: V1Pod) =>
  pod.spec?.containers?.find((c) => c.name === 'istio-proxy') ?? pod.spec?.initContainers?.find((c) => c.name === 'istio-proxy');

const optedOut = (pod: V1Pod) =>
  pod.metadata?.annotations?.['sidecar.istio.io/inject'] === 'false' ||
  pod.metadata?.labels?.['sidecar.istio.io/inject'] === 'false' ||
  pod.spec?.hostNetwork === true;

const live = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? '');

/** The workload behind a pod, for a restart hint: ReplicaSet names lose their pod-template hash. */
function owner(pod: V1Pod): string {
  const ref = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!ref) return `pod/${pod.metadata?.name}`;
  if (ref.kind === 'ReplicaSet') return `deployment/${ref.name.replace(/-[a-z0-9]{5,10}$/, '')}`;
  return `${ref.kind.toLowerCase()}/${ref.name}`;
}

const ROLLOUT_KINDS = ['deployment', 'daemonset', 'statefulset'];

/**
 * The command that gives a workload new pods, for one of its pods. `kubectl rollout restart`
 * knows three kinds ("pods "x" restarting is not supported"); any other controller (a Job's)
 * recreates a pod deleted; a pod no controller owns is gone once deleted, so it is created again.
 */
function restartCommand(workload: string, pod: string, ns: string): string {
  if (ROLLOUT_KINDS.includes(workload.split('/', 1)[0])) return `kubectl rollout restart ${workload} -n ${ns}`;
  if (workload.startsWith('pod/'))
    return `kubectl delete pod ${pod} -n ${ns}, then create it again from its manifest (no controller owns it)`;
  return `kubectl delete pod ${pod} -n ${ns} (its ${workload} creates it again)`;
}

interface DataPlane {
  namespaces: string[];
  podCount: number;
  /** Pods with no istio-proxy, by `<namespace>/<owner>`. */
  uninjected: Map<string, Set<string>>;
  /** Proxy versions (image variants folded in) with their counts. */
  versions: Map<string, number>;
}

/** Three checks read the same summary: at 50,000 pods each pass over them cost about 30 ms. */
const summaries = new WeakMap<Facts, DataPlane>();

function dataPlane(facts: Facts): DataPlane {
  let summary = summaries.get(facts);
  if (!summary) summaries.set(facts, (summary = summarize(facts)));
  return summary;
}

function summarize(facts: Facts): DataPlane {
  const uninjected = new Map<string, Set<string>>();
  const versions = new Map<string, number>();
  // A workload's pods share their proxy image: its version is read once.
  const imageVersions = new Map<string | undefined, string>();
  let podCount = 0;
  for (const [ns, pods] of facts.dataPlanePods.byNamespace) {
    for (const pod of pods.filter(live)) {
      if (optedOut(pod)) continue;
      podCount++;
      const proxy = proxyContainer(pod);
      if (!proxy) {
        const key = `${ns}/${owner(pod)}`;
        uninjected.set(key, (uninjected.get(key) ?? new Set()).add(pod.metadata?.name ?? '?'));
      } else {
        let version = imageVersions.get(proxy.image);
        if (version === undefined) imageVersions.set(proxy.image, (version = versionOfImage(proxy.image) ?? 'unknown'));
        versions.set(version, (versions.get(version) ?? 0) + 1);
      }
    }
  }
  return { namespaces: [...facts.dataPlanePods.byNamespace.keys()].sort(), podCount, uninjected, versions };
}

function injection(facts: Facts): Verdict {
  const { namespaces, podCount, uninjected } = dataPlane(facts);
  if (!namespaces.length) return skip('no namespace has injection enabled');
  if (!uninjected.size) return ok(podCount ? `all ${podCount} pods have istio-proxy` : 'no pods there yet');
  const missing = [...uninjected.values()].reduce((n, s) => n + s.size, 0);
  const [[first, firstPods]] = uninjected;
  const ns = first.split('/', 1)[0];
  const example = restartCommand(first.slice(ns.length + 1), [...firstPods][0], ns);
  return warn(
    `${missing} of ${podCount} pods have no istio-proxy: ${[...uninjected.entries()].map(([k, s]) => `${k} (${s.size})`).join(', ')}`,
    `they were created before injection was enabled: restart them, e.g. ${example}`,
    [...uninjected.entries()].flatMap(([k, pods]) => [...pods].map((p) => `Pod/${k.split('/')[0]}/${p}`)),
  );
}

function proxyVersions(facts: Facts): Verdict {
  const { versions } = dataPlane(facts);
  const cp = controlPlaneVersion(facts);
  if (!versions.size) return skip('no proxies found');
  if (!cp) return skip('control-plane version unknown');
  if ([...versions.keys()].some((v) => v !== cp))
    return warn(
      `control plane ${cp}; proxies: ${[...versions.entries()]
        .sort()
        .map(([v, n]) => `${v} (${n})`)
        .join(', ')}`,
      'restart the workloads whose proxies run another version so they pick up the current injector',
    );
  return ok(`${versions.get(cp)} proxies on ${cp}`);
}

export const dataPlaneChecks: CheckDefinition[] = [
  {
    id: 'data-plane-namespaces',
    category: 'data-plane',
    description: 'namespaces with sidecar injection',
    means: 'lists the namespaces with injection on',
    fix: '`mesh install --inject-namespace <ns>`',
    reads: ['namespaces'],
    run: (facts) => {
      // From the namespace list itself: the pod lists' failing (its own check's unknown) changes nothing here.
      const namespaces = injectedNamespaces(facts.namespaces.items, facts.istioNamespace).sort();
      return namespaces.length
        ? ok(
            namespaces.join(', '),
            namespaces.map((n) => `Namespace/${n}`),
          )
        : ok('none yet (label one with `mesh install --inject-namespace <ns>`)');
    },
  },
  {
    id: 'data-plane-injection',
    category: 'data-plane',
    description: 'pods in injected namespaces have a sidecar',
    means: 'pods in injected namespaces have `istio-proxy` (warn lists those created before the label)',
    fix: '`kubectl rollout restart` their workloads (a pod no controller owns: delete it and create it again)',
    reads: ['namespaces', 'dataPlanePods'],
    run: injection,
  },
  {
    id: 'data-plane-revisions',
    category: 'data-plane',
    description: 'proxies on a running, current revision',
    means:
      "every proxy's revision has an istiod (fail), and is the one its namespace injects now, tags resolved (warn lists the stale ones)",
    fix: '`kubectl rollout restart` the workloads listed, in their namespaces (a pod no controller owns: delete it and create it again)',
    reads: ['namespaces', 'dataPlanePods', 'deployments', 'mutatingWebhooks'],
    run: proxyRevisions,
  },
  {
    id: 'data-plane-version',
    category: 'data-plane',
    description: 'proxy versions match the control plane',
    means: 'proxy versions match the control plane, image variants aside (warn lists each version with its count)',
    fix: 'restart workloads on an old proxy',
    reads: ['namespaces', 'dataPlanePods', 'deployments', 'record'],
    run: proxyVersions,
  },
];

function analyzeVerdict(facts: Facts): Verdict {
  const analyze = facts.analyze;
  if (!analyze || analyze.status === 'skipped') return skip(analyze?.reason ?? 'not run');
  // analyze could not look: nothing is known about the config, which is not a finding about it
  if (analyze.status === 'failed')
    return {
      status: 'unknown',
      message: `istioctl analyze did not run: ${analyze.error}`,
      hint: 'run `istioctl analyze -A` by hand to see why',
    };
  const errors = analyze.messages.filter((m) => m.level === 'Error');
  const warnings = analyze.messages.filter((m) => m.level === 'Warning');
  const fmt = (ms: typeof errors) => ms.map((m) => `${m.code} ${m.origin ?? ''}: ${m.message}`.replace(/ :/, ':')).join('; ');
  if (errors.length)
    return fail(
      `${errors.length} error(s): ${fmt(errors)}`,
      errors[0].documentationUrl ? `see ${errors[0].documentationUrl}` : 'fix the Istio config named above',
    );
  if (warnings.length)
    return warn(
      `${warnings.length} warning(s): ${fmt(warnings)}`,
      warnings[0].documentationUrl ? `see ${warnings[0].documentationUrl}` : 'review the Istio config named above',
    );
  return ok(`no errors or warnings${analyze.messages.length ? ` (${analyze.messages.length} info)` : ''}`);
}

/** analyze's findings are istioctl's: one too far from the control plane judges config by other rules. */
function istioctlVersionVerdict(facts: Facts): Verdict {
  if (facts.analyze?.status !== 'ran') return skip('istioctl analyze did not run');
  const cp = controlPlaneVersion(facts);
  if (!facts.istioctlVersion) return skip('istioctl did not say its version');
  if (!cp) return skip('control-plane version unknown');
  // A tag such as `latest` (a development build) names no minor: within one minor was not observed.
  if (minorsAhead(facts.istioctlVersion, cp) === undefined)
    return skip(`istioctl ${facts.istioctlVersion}, control plane ${cp}: not two release versions of Istio, nothing to compare`);
  const skew = skewWarning('istioctl', facts.istioctlVersion, cp);
  return skew ? warn(skew.message, skew.hint) : ok(`istioctl ${facts.istioctlVersion}, control plane ${cp}`);
}

export const configChecks: CheckDefinition[] = [
  {
    id: 'config-analyze',
    category: 'config',
    description: 'istioctl analyze finds no problems',
    means:
      "`istioctl analyze -A -o json` (Istio config in any namespace is the mesh's; istioctl's Go scheduler one core short " +
      'of the machine unless `GOMAXPROCS` is set, and `GOGC=400` unless `GOGC` or `GOMEMLIMIT` is): errors fail, warnings warn; ' +
      'skipped without istioctl or with `--skip-analyze`',
    fix: "follow the analyzer's documentation link",
    reads: [],
    run: analyzeVerdict,
  },
  {
    id: 'config-istioctl-version',
    category: 'config',
    description: 'istioctl is within one minor of the control plane',
    means:
      'the istioctl that ran analyze is within one minor of the control plane (warn: further apart than Istio supports; ' +
      'skip: a control plane on a tag that names no release, such as latest)',
    fix: "`mesh istio fetch` the control plane's version and pass `--istio-version`",
    reads: ['deployments', 'record'],
    run: istioctlVersionVerdict,
  },
];

/**
 * Which revision injected each proxy (its annotations), against the revisions running and the one
 * its namespace injects now: after a canary move, pods not yet restarted are stale; after a
 * revision was removed, its proxies have no control plane at all.
 */
function proxyRevisions(facts: Facts): Verdict {
  const running = new Set(istiodDeployments(facts).map((d) => d.metadata?.labels?.['istio.io/rev'] ?? 'default'));
  const namespaces = facts.namespaces.items;
  const tags = new Map(revisionTags(facts.mutatingWebhooks.items, namespaces).map((t) => [t.tag, t.revision]));
  const counts = new Map<string, number>();
  // By `<namespace> (revision ...)`: each workload with its first pod, for a hint that must name a pod.
  const orphaned = new Map<string, Map<string, string>>();
  const stale = new Map<string, Map<string, string>>();
  const add = (map: Map<string, Map<string, string>>, key: string, pod: V1Pod) => {
    const workloads = map.get(key) ?? new Map<string, string>();
    const workload = owner(pod);
    if (!workloads.has(workload)) workloads.set(workload, pod.metadata?.name ?? '?');
    map.set(key, workloads);
  };
  for (const [ns, pods] of facts.dataPlanePods.byNamespace) {
    const target = injectionTarget(namespaces.find((n) => n.metadata?.name === ns) ?? {});
    const wanted = target === undefined ? undefined : (tags.get(target) ?? target);
    for (const pod of pods.filter(live)) {
      const revision = injectedRevision(pod);
      if (!revision) continue;
      counts.set(revision, (counts.get(revision) ?? 0) + 1);
      if (!running.has(revision)) add(orphaned, `${ns} (revision ${revision})`, pod);
      else if (wanted && wanted !== revision && running.has(wanted))
        add(stale, `${ns} (revision ${revision}, namespace injects ${wanted})`, pod);
    }
  }
  if (!counts.size) return skip('no injected pods');
  const list = (m: Map<string, Map<string, string>>) =>
    [...m].map(([k, workloads]) => `${k}: ${[...workloads.keys()].join(', ')}`).join('; ');
  const restart = (m: Map<string, Map<string, string>>) => {
    const [key, workloads] = [...m][0];
    const [[workload, pod]] = workloads;
    return restartCommand(workload, pod, key.split(' ')[0]);
  };
  if (orphaned.size) return fail(`proxies of revisions with no istiod: ${list(orphaned)}`, `${restart(orphaned)} (and the others listed)`);
  if (stale.size)
    return warn(`proxies on an older revision than their namespace injects: ${list(stale)}`, `${restart(stale)} (and the others listed)`);
  return ok([...counts].map(([rev, n]) => `${rev}: ${n} proxies`).join(', '));
}
