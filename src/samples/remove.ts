import type { KubeGateway } from '../adapters/kube.js';
import { KubeApiError } from '../adapters/kube.js';
import { removeAddonObjects } from '../addons/remove.js';
import { deleteNamespacesAndWait, patchNamespaceLabels } from '../install/cluster.js';
import type { RecordedSample } from '../plan/record.js';
import { restoredLabels, sampleAsAddon } from './removal-plan.js';

/**
 * Undoes a sample: its objects, then the injection labels mesh set (restoring what they replaced,
 * removing what it added), then the namespace if the sample created it. Returns a summary.
 */
export async function removeSample(kube: KubeGateway, sample: RecordedSample, timeoutSeconds: number): Promise<string> {
  const deleted = await removeAddonObjects(kube, [sampleAsAddon(sample)], [], timeoutSeconds);
  if (sample.createdNamespace) {
    await deleteNamespacesAndWait(kube, [sample.namespace], timeoutSeconds);
    return `${deleted} objects deleted, namespace ${sample.namespace} deleted (the sample created it)`;
  }
  const patch = restoredLabels(sample);
  try {
    await patchNamespaceLabels(kube, sample.namespace, patch);
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 404)) throw error;
  }
  return `${deleted} objects deleted, labels of ${sample.namespace} restored`;
}
