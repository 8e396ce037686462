import type { CheckResult, Facts } from '../types.js';
import { daemonSetStatus, deploymentStatus, podProblem, podsOfSelector } from '../workload-status.js';
import { controlPlaneWorkloads, ref, result } from './shared.js';

/** Istio CRDs every install since 1.2x has (base chart); newer ones are counted, not required. */
export const REQUIRED_CRDS = [
  'authorizationpolicies.security.istio.io',
  'destinationrules.networking.istio.io',
  'envoyfilters.networking.istio.io',
  'gateways.networking.istio.io',
  'peerauthentications.security.istio.io',
  'proxyconfigs.networking.istio.io',
  'requestauthentications.security.istio.io',
  'serviceentries.networking.istio.io',
  'sidecars.networking.istio.io',
  'telemetries.telemetry.istio.io',
  'virtualservices.networking.istio.io',
  'wasmplugins.extensions.istio.io',
  'workloadentries.networking.istio.io',
  'workloadgroups.networking.istio.io',
];

function availabilityHint(problems: string[], missing: boolean): string {
  if (missing) return 're-run `mesh install` to recreate missing workloads';
  const scaled = problems.find((p) => p.includes('scaled to 0'));
  if (scaled) {
    const name = /Deployment (\S+):/.exec(scaled)?.[1] ?? 'istiod';
    return `scale it back up: kubectl scale deployment ${name} --replicas=1 -n <istio namespace>`;
  }
  return 'see control-plane-pods for why pods are not Ready; `kubectl describe` the workload for its events';
}

export function controlPlaneChecks(facts: Facts): CheckResult[] {
  const { present, missing } = controlPlaneWorkloads(facts);
  const out: CheckResult[] = [];
  const desc = 'control-plane workloads available';
  if (!present.length && !missing.length) {
    out.push(
      result(
        'control-plane',
        'control-plane-available',
        desc,
        'fail',
        `no Istio control-plane workloads in ${facts.istioNamespace}`,
        'run `mesh install`, or pass -n for another namespace',
      ),
    );
    return out;
  }
  const problems: string[] = missing.map((m) => `${m} not found`);
  for (const w of present) {
    const status = w.kind === 'Deployment' ? deploymentStatus(w.obj) : daemonSetStatus(w.obj);
    if (!status.ready) problems.push(`${w.kind} ${w.obj.metadata?.name}: ${status.summary}`);
  }
  const objects = [...present.map(ref), ...missing];
  if (problems.length)
    out.push(
      result(
        'control-plane',
        'control-plane-available',
        desc,
        'fail',
        problems.join('; '),
        availabilityHint(problems, missing.length > 0),
        objects,
      ),
    );
  else
    out.push(
      result(
        'control-plane',
        'control-plane-available',
        desc,
        'ok',
        present
          .map(
            (w) => `${w.obj.metadata?.name} ${w.kind === 'Deployment' ? deploymentStatus(w.obj).summary : daemonSetStatus(w.obj).summary}`,
          )
          .join(', '),
        undefined,
        objects,
      ),
    );

  const failing: string[] = [];
  const restarted: string[] = [];
  const podObjects: string[] = [];
  for (const w of present) {
    for (const pod of podsOfSelector(w.obj.spec?.selector?.matchLabels, facts.pods.items, facts.istioNamespace)) {
      const name = pod.metadata?.name ?? '?';
      const problem = podProblem(pod);
      if (problem) {
        failing.push(`pod ${name} ${problem}`);
        podObjects.push(`Pod/${facts.istioNamespace}/${name}`);
      }
      const restarts = (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
      if (!problem && restarts > 0) restarted.push(`pod ${name} restarted ${restarts} time(s)`);
    }
  }
  const pdesc = 'control-plane pods Ready';
  if (failing.length) {
    const hint = failing.some((f) => /Unschedulable/.test(f))
      ? 'no node fits the pod: relax its nodeSelector/affinity/tolerations in the profile, or label a node to match'
      : failing.some((f) => /ImagePull|ErrImage/.test(f))
        ? 'the image cannot be pulled: check hub/tag in the profile and registry access'
        : failing.some((f) => /CrashLoopBackOff/.test(f))
          ? 'the container keeps crashing: read its logs with `kubectl logs --previous`'
          : '`kubectl describe pod` shows the events behind this';
    out.push(result('control-plane', 'control-plane-pods', pdesc, 'fail', failing.join('; '), hint, podObjects));
  } else if (restarted.length)
    out.push(
      result(
        'control-plane',
        'control-plane-pods',
        pdesc,
        'warn',
        restarted.join('; '),
        'read the previous logs: `kubectl logs --previous -n <ns> <pod>`',
      ),
    );
  else out.push(result('control-plane', 'control-plane-pods', pdesc, 'ok', 'all pods Ready, no restarts'));
  return out;
}

export function crdChecks(facts: Facts): CheckResult[] {
  const byName = new Map(facts.crds.items.map((c) => [c.metadata?.name ?? '', c]));
  const missing = REQUIRED_CRDS.filter((n) => !byName.has(n));
  const out: CheckResult[] = [];
  if (missing.length)
    out.push(
      result(
        'crds',
        'crds-present',
        'Istio CRDs present',
        'fail',
        `missing ${missing.length} of ${REQUIRED_CRDS.length}: ${missing.join(', ')}`,
        're-run `mesh install` (the base chart installs the CRDs)',
        missing.map((m) => `CustomResourceDefinition/${m}`),
      ),
    );
  else
    out.push(
      result('crds', 'crds-present', 'Istio CRDs present', 'ok', `${byName.size} Istio CRDs (all ${REQUIRED_CRDS.length} required)`),
    );
  const notEstablished = facts.crds.items
    .filter((c) => !c.status?.conditions?.some((cond) => cond.type === 'Established' && cond.status === 'True'))
    .map((c) => c.metadata?.name ?? '?');
  if (notEstablished.length)
    out.push(
      result(
        'crds',
        'crds-established',
        'Istio CRDs Established',
        'fail',
        `not Established: ${notEstablished.join(', ')}`,
        '`kubectl describe crd <name>` shows the NamesAccepted/Established conditions (often a name conflict)',
      ),
    );
  else if (facts.crds.items.length) out.push(result('crds', 'crds-established', 'Istio CRDs Established', 'ok', 'all Established'));
  else out.push(result('crds', 'crds-established', 'Istio CRDs Established', 'skip', 'no Istio CRDs to check'));
  return out;
}
