import type { KubeGateway, KubeTarget } from '../adapters/kube.js';
import { IstioctlMemo } from '../adapters/istioctl-memo.js';
import { istioctlVersion } from '../adapters/tools.js';
import type { InstallRecord } from '../plan/record.js';
import { REDACTED } from '../plan/record.js';
import { compareWithCluster, type ObjectDiff } from './compare.js';
import { renderRecordedManifests, type Tools } from './render-manifests.js';

/**
 * Drift: objects of the recorded install that differ now from what it applied (changed or
 * deleted by hand since). `checked: false` says why it could not be judged, never "no drift".
 */
export type Drift = { checked: true; objects: ObjectDiff[]; compared: number } | { checked: false; why: string; hint?: string };

export async function readDrift(kube: KubeGateway, record: InstallRecord, tools: Tools, target: KubeTarget): Promise<Drift> {
  if (record.status !== 'installed') return { checked: false, why: `the install is ${record.status}` };
  if (record.backend === 'istioctl') {
    // Another istioctl renders another manifest: its differences would not be drift.
    const used = record.toolVersions.istioctl;
    const found = await istioctlVersion(tools.run, tools.istioctl, new IstioctlMemo()).catch(() => undefined);
    if (used && found !== used)
      return {
        checked: false,
        why: `rendering the recorded spec needs istioctl ${used}; ${found ? `found ${found}` : `${tools.istioctl} did not run`}`,
        hint: `pass --istio-version ${used} (mesh istio fetch ${used}) or --istioctl <path>`,
      };
  }
  const rendered = await renderRecordedManifests(record, tools, target);
  if (!rendered) return { checked: false, why: 'the record keeps no rendered spec (written by mesh 0.1)' };
  const diffs = await compareWithCluster(kube, rendered);
  return {
    checked: true,
    compared: diffs.length,
    // The record keeps secret-looking values redacted: a field that differs only by that is not judged.
    objects: diffs
      .map((d) => (d.changes ? { ...d, changes: d.changes.filter((c) => c.to !== REDACTED) } : d))
      .filter((d) => d.action !== 'unchanged' && !(d.action === 'change' && !d.changes?.length)),
  };
}
