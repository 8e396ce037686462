import type { CheckDefinition, Facts, Verdict } from '../types.js';
import { daemonSetStatus, deploymentStatus, podProblem, podsOfSelector } from '../workload-status.js';
import { controlPlaneWorkloads, fail, ok, ref, skip, warn } from './shared.js';

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

function available(facts: Facts): Verdict {
  const { present, missing, elsewhere } = controlPlaneWorkloads(facts);
  const notRead = elsewhere.length ? ` (${elsewhere.join(', ')} in other namespaces: not checked)` : '';
  if (!present.length && !missing.length) {
    if (elsewhere.length) return skip(`no control-plane workloads in ${facts.istioNamespace}${notRead}`);
    return fail(`no Istio control-plane workloads in ${facts.istioNamespace}`, 'run `mesh install`, or pass -n for another namespace');
  }
  const problems: string[] = missing.map((m) => `${m} not found`);
  for (const w of present) {
    const status = w.kind === 'Deployment' ? deploymentStatus(w.obj) : daemonSetStatus(w.obj);
    if (!status.ready) problems.push(`${w.kind} ${w.obj.metadata?.name}: ${status.summary}`);
  }
  const objects = [...present.map(ref), ...missing];
  if (problems.length) return fail(problems.join('; '), availabilityHint(problems, missing.length > 0), objects);
  const summary = present.map(
    (w) => `${w.obj.metadata?.name} ${(w.kind === 'Deployment' ? deploymentStatus(w.obj) : daemonSetStatus(w.obj)).summary}`,
  );
  return ok(`${summary.join(', ')}${notRead}`, objects);
}

function podsReady(facts: Facts): Verdict {
  const { present } = controlPlaneWorkloads(facts);
  const failing: string[] = [];
  const restarted: string[] = [];
  const podObjects: string[] = [];
  for (const w of present) {
    const ns = w.obj.metadata?.namespace ?? facts.istioNamespace;
    for (const pod of podsOfSelector(w.obj.spec?.selector?.matchLabels, facts.pods.items, ns)) {
      const name = pod.metadata?.name ?? '?';
      const problem = podProblem(pod);
      if (problem) {
        failing.push(`pod ${name} ${problem}`);
        podObjects.push(`Pod/${ns}/${name}`);
      }
      const restarts = (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
      if (!problem && restarts > 0) restarted.push(`pod ${name} restarted ${restarts} time(s)`);
    }
  }
  if (failing.length) {
    const hint = failing.some((f) => /Unschedulable/.test(f))
      ? 'no node fits the pod: relax its nodeSelector/affinity/tolerations in the profile, or label a node to match'
      : failing.some((f) => /ImagePull|ErrImage/.test(f))
        ? 'the image cannot be pulled: check hub/tag in the profile and registry access'
        : failing.some((f) => /CrashLoopBackOff/.test(f))
          ? 'the container keeps crashing: read its logs with `kubectl logs --previous`'
          : '`kubectl describe pod` shows the events behind this';
    return fail(failing.join('; '), hint, podObjects);
  }
  if (restarted.length) return warn(restarted.join('; '), 'read the previous logs: `kubectl logs --previous -n <ns> <pod>`');
  if (!present.length) return skip('no control-plane workloads to look at');
  return ok('all pods Ready, no restarts');
}

export const controlPlaneChecks: CheckDefinition[] = [
  {
    id: 'control-plane-available',
    category: 'control-plane',
    description: 'control-plane workloads available',
    means: 'every istiod, gateway, cni and ztunnel workload is available at its desired count (scaled to 0 fails)',
    fix: 'see `control-plane-pods`; `kubectl scale` a scaled-down one',
    reads: ['deployments', 'daemonSets', 'record'],
    run: available,
  },
  {
    id: 'control-plane-pods',
    category: 'control-plane',
    description: 'control-plane pods Ready',
    means: "their pods are Ready: Pending with the scheduler's reason, CrashLoopBackOff, image pulls, probes; restarts warn",
    fix: 'relax nodeSelector/affinity, fix the image, read `kubectl logs --previous`',
    reads: ['deployments', 'daemonSets', 'record', 'pods'],
    run: podsReady,
  },
];

export const crdChecks: CheckDefinition[] = [
  {
    id: 'crds-present',
    category: 'crds',
    description: 'Istio CRDs present',
    means: `the ${REQUIRED_CRDS.length} Istio CRDs every install has are present`,
    fix: '`mesh install` reinstalls them (base chart)',
    reads: ['crds'],
    run: (facts) => {
      const byName = new Set(facts.crds.items.map((c) => c.metadata?.name ?? ''));
      const missing = REQUIRED_CRDS.filter((n) => !byName.has(n));
      if (missing.length)
        return fail(
          `missing ${missing.length} of ${REQUIRED_CRDS.length}: ${missing.join(', ')}`,
          're-run `mesh install` (the base chart installs the CRDs)',
          missing.map((m) => `CustomResourceDefinition/${m}`),
        );
      return ok(`${byName.size} Istio CRDs (all ${REQUIRED_CRDS.length} required)`);
    },
  },
  {
    id: 'crds-established',
    category: 'crds',
    description: 'Istio CRDs Established',
    means: 'each Istio CRD is Established',
    fix: '`kubectl describe crd <name>` (often a name conflict)',
    reads: ['crds'],
    run: (facts) => {
      const notEstablished = facts.crds.items
        .filter((c) => !c.status?.conditions?.some((cond) => cond.type === 'Established' && cond.status === 'True'))
        .map((c) => c.metadata?.name ?? '?');
      if (notEstablished.length)
        return fail(
          `not Established: ${notEstablished.join(', ')}`,
          '`kubectl describe crd <name>` shows the NamesAccepted/Established conditions (often a name conflict)',
        );
      return facts.crds.items.length ? ok('all Established') : skip('no Istio CRDs to check');
    },
  },
];
