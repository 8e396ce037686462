import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { CheckDefinition, Facts, Verdict } from '../types.js';
import { deploymentStatus, podProblem, podsOfSelector, statefulSetStatus } from '../workload-status.js';
import { fail, ok, skip } from './shared.js';

/** The addons the record lists, each judged by its workloads as read (never assumed from the record alone). */
function addonsAvailable(facts: Facts): Verdict {
  const record = facts.record.value;
  if (!record) return skip('no install record: mesh installed no addons here');
  const addons = record.addons ?? [];
  if (!addons.length) return skip('no addons installed (mesh addons install prometheus grafana kiali)');
  const fine: string[] = [];
  const problems: string[] = [];
  const objects: string[] = [];
  for (const addon of addons) {
    const states: string[] = [];
    for (const o of addon.objects.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
      const ref = `${o.kind}/${o.namespace}/${o.name}`;
      objects.push(ref);
      const obj: V1Deployment | V1StatefulSet | undefined = (o.kind === 'Deployment' ? facts.deployments : facts.statefulSets).items.find(
        (x) => x.metadata?.namespace === o.namespace && x.metadata?.name === o.name,
      );
      if (!obj) {
        problems.push(`${addon.name}: ${ref} not found`);
        continue;
      }
      const status = o.kind === 'Deployment' ? deploymentStatus(obj) : statefulSetStatus(obj as V1StatefulSet);
      if (status.ready) {
        states.push(status.summary);
        continue;
      }
      const pods = podsOfSelector(obj.spec?.selector?.matchLabels, facts.pods.items, o.namespace ?? facts.istioNamespace)
        .map((p) => [p.metadata?.name, podProblem(p)] as const)
        .filter(([, problem]) => problem)
        .map(([name, problem]) => `pod ${name} ${problem}`);
      problems.push(`${addon.name}: ${o.kind} ${o.name} ${status.summary}${pods.length ? ` (${pods.join('; ')})` : ''}`);
    }
    if (states.length) fine.push(`${addon.name} ${states.join(', ')}`);
  }
  if (problems.length)
    return fail(
      problems.join('; '),
      problems.some((p) => p.includes('not found'))
        ? 'deleted by hand? re-run `mesh addons install <addon>` (it converges)'
        : '`kubectl describe` the pods for their events; addon images come from public registries',
      objects,
    );
  return ok(fine.join('; '), objects);
}

export const addonChecks: CheckDefinition[] = [
  {
    id: 'addons-available',
    category: 'addons',
    description: 'addons available',
    means: 'every addon `mesh addons install` recorded has its Deployments/StatefulSets available',
    fix: 're-run `mesh addons install <addon>`; `kubectl describe` pods that are not Ready',
    reads: ['record', 'deployments', 'statefulSets', 'pods'],
    run: addonsAvailable,
  },
];
