import { buildAddonsUninstallPlan } from '../plan/addons.js';
import type { RecordedAddon, RecordedSample } from '../plan/record.js';

/** What `mesh sample remove` will do, as data: printed by --dry-run, then carried out (remove.ts). */
export interface SampleRemovalPlan {
  schemaVersion: 1;
  kind: 'SamplePlan';
  action: 'remove';
  sample: string;
  namespace: string;
  context: string;
  /** `Kind/namespace/name`, in the order they are deleted. */
  objects: string[];
  /** The sample created its namespace: it goes too. */
  deleteNamespace: boolean;
  /** Otherwise the namespace's labels given back: the value they had, or null where mesh added the label. */
  labels: Record<string, string | null>;
  /** The install record that forgets the sample. */
  record: string;
}

/** A sample's objects are removed as an addon's are: exactly those recorded, workloads first. */
export const sampleAsAddon = (sample: RecordedSample): RecordedAddon => ({
  name: sample.name,
  source: sample.sources.join(', '),
  objects: sample.objects,
  installedAt: sample.installedAt,
});

/** The label patch that gives the namespace back: values restored, labels mesh added removed. */
export function restoredLabels(sample: RecordedSample): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(sample.labels)) patch[key] = sample.previous?.[key] ?? null;
  return patch;
}

export function buildSampleRemovalPlan(sample: RecordedSample, context: string, record: string): SampleRemovalPlan {
  const [addon] = buildAddonsUninstallPlan({ remove: [sampleAsAddon(sample)], keep: [], istioNamespace: '' }).addons;
  return {
    schemaVersion: 1,
    kind: 'SamplePlan',
    action: 'remove',
    sample: sample.name,
    namespace: sample.namespace,
    context,
    objects: addon.objects,
    deleteNamespace: sample.createdNamespace,
    labels: sample.createdNamespace ? {} : restoredLabels(sample),
    record,
  };
}

export function sampleRemovalPlanToText(plan: SampleRemovalPlan): string {
  const labels = Object.entries(plan.labels).map(([k, v]) => (v === null ? `${k} removed` : `${k}=${v}`));
  return [
    `mesh sample remove ${plan.sample} (dry run: nothing changed) in context ${plan.context}`,
    `delete ${plan.objects.length} objects of ${plan.sample} in ${plan.namespace}`,
    ...plan.objects.map((o) => `  ${o}`),
    plan.deleteNamespace
      ? `then delete namespace ${plan.namespace} (the sample created it)`
      : `then give namespace ${plan.namespace} its labels back: ${labels.join(', ') || 'none to change'}`,
    `forget the sample in ${plan.record}`,
    '',
  ].join('\n');
}
