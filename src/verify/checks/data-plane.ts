import type { V1Pod } from '@kubernetes/client-node';
import type { AnalyzeOutcome, CheckResult, Facts } from '../types.js';
import { controlPlaneVersion, imageTag, result } from './shared.js';

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

export function dataPlaneChecks(facts: Facts): CheckResult[] {
  const out: CheckResult[] = [];
  const namespaces = [...facts.dataPlanePods.keys()].sort();
  out.push(
    namespaces.length
      ? result(
          'data-plane',
          'data-plane-namespaces',
          'namespaces with sidecar injection',
          'ok',
          namespaces.join(', '),
          undefined,
          namespaces.map((n) => `Namespace/${n}`),
        )
      : result(
          'data-plane',
          'data-plane-namespaces',
          'namespaces with sidecar injection',
          'ok',
          'none yet (label one with `mesh install --inject-namespace <ns>`)',
        ),
  );
  const uninjected = new Map<string, Set<string>>();
  let podCount = 0;
  const versions = new Map<string, number>();
  for (const [ns, pods] of facts.dataPlanePods) {
    for (const pod of pods.filter(live)) {
      if (optedOut(pod)) continue;
      podCount++;
      const proxy = proxyContainer(pod);
      if (!proxy) {
        const key = `${ns}/${owner(pod)}`;
        uninjected.set(key, (uninjected.get(key) ?? new Set()).add(pod.metadata?.name ?? '?'));
      } else {
        const tag = imageTag(proxy.image) ?? 'unknown';
        versions.set(tag, (versions.get(tag) ?? 0) + 1);
      }
    }
  }
  if (!namespaces.length)
    out.push(
      result(
        'data-plane',
        'data-plane-injection',
        'pods in injected namespaces have a sidecar',
        'skip',
        'no namespace has injection enabled',
      ),
    );
  else if (uninjected.size) {
    const missing = [...uninjected.values()].reduce((n, s) => n + s.size, 0);
    const [first] = uninjected.keys();
    const ns = first.split('/', 1)[0];
    out.push(
      result(
        'data-plane',
        'data-plane-injection',
        'pods in injected namespaces have a sidecar',
        'warn',
        `${missing} of ${podCount} pods have no istio-proxy: ${[...uninjected.entries()].map(([k, s]) => `${k} (${s.size})`).join(', ')}`,
        `they were created before injection was enabled: restart them, e.g. kubectl rollout restart ${first.slice(ns.length + 1)} -n ${ns}`,
        [...uninjected.entries()].flatMap(([k, pods]) => [...pods].map((p) => `Pod/${k.split('/')[0]}/${p}`)).slice(0, 20),
      ),
    );
  } else
    out.push(
      result(
        'data-plane',
        'data-plane-injection',
        'pods in injected namespaces have a sidecar',
        'ok',
        podCount ? `all ${podCount} pods have istio-proxy` : 'no pods there yet',
      ),
    );

  const cp = controlPlaneVersion(facts);
  const skew = [...versions.entries()].filter(([v]) => v !== cp);
  if (!versions.size)
    out.push(result('data-plane', 'data-plane-version', 'proxy versions match the control plane', 'skip', 'no proxies found'));
  else if (!cp)
    out.push(result('data-plane', 'data-plane-version', 'proxy versions match the control plane', 'skip', 'control-plane version unknown'));
  else if (skew.length)
    out.push(
      result(
        'data-plane',
        'data-plane-version',
        'proxy versions match the control plane',
        'warn',
        `control plane ${cp}; proxies: ${[...versions.entries()]
          .sort()
          .map(([v, n]) => `${v} (${n})`)
          .join(', ')}`,
        'restart the workloads whose proxies run another version so they pick up the current injector',
      ),
    );
  else
    out.push(
      result('data-plane', 'data-plane-version', 'proxy versions match the control plane', 'ok', `${versions.get(cp)} proxies on ${cp}`),
    );
  return out;
}

export function configChecks(analyze: AnalyzeOutcome | undefined): CheckResult[] {
  const d = 'istioctl analyze finds no problems';
  if (!analyze || analyze.status === 'skipped') return [result('config', 'config-analyze', d, 'skip', analyze?.reason ?? 'not run')];
  if (analyze.status === 'failed')
    return [
      result(
        'config',
        'config-analyze',
        d,
        'warn',
        `istioctl analyze did not run: ${analyze.error}`,
        'run `istioctl analyze -A` by hand to see why',
      ),
    ];
  const errors = analyze.messages.filter((m) => m.level === 'Error');
  const warnings = analyze.messages.filter((m) => m.level === 'Warning');
  const fmt = (ms: typeof errors) =>
    ms
      .slice(0, 5)
      .map((m) => `${m.code} ${m.origin ?? ''}: ${m.message}`.replace(/ :/, ':'))
      .join('; ');
  if (errors.length)
    return [
      result(
        'config',
        'config-analyze',
        d,
        'fail',
        `${errors.length} error(s): ${fmt(errors)}`,
        errors[0].documentationUrl ? `see ${errors[0].documentationUrl}` : 'fix the Istio config named above',
      ),
    ];
  if (warnings.length)
    return [
      result(
        'config',
        'config-analyze',
        d,
        'warn',
        `${warnings.length} warning(s): ${fmt(warnings)}`,
        warnings[0].documentationUrl ? `see ${warnings[0].documentationUrl}` : 'review the Istio config named above',
      ),
    ];
  return [
    result(
      'config',
      'config-analyze',
      d,
      'ok',
      `no errors or warnings${analyze.messages.length ? ` (${analyze.messages.length} info)` : ''}`,
    ),
  ];
}
