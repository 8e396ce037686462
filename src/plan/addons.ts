import { usageError } from '../errors.js';
import { formatRef, ROLLOUT_KINDS, type AddonObject, type ObjectRef } from '../addons/catalog.js';
import type { RecordedAddon } from './record.js';
import type { WorkloadRef } from '../render/workloads.js';

/** What `mesh addons install|uninstall` will do, as data: printed by --dry-run, then carried out. */
export interface AddonsPlan {
  schemaVersion: 1;
  kind: 'AddonsPlan';
  action: 'install' | 'uninstall';
  istioNamespace: string;
  context?: string;
  /** The release directory the manifests come from (install). */
  release?: string;
  addons: Array<{
    name: string;
    source?: string;
    objects: string[];
    waitFor: string[];
    /** uninstall, as read: the claims the addon's StatefulSets made, which Kubernetes keeps and mesh deletes after them. */
    volumeClaims?: string[];
  }>;
}

export interface AddonToApply {
  name: string;
  source: string;
  objects: AddonObject[];
}

/** The workloads whose rollout an addon install waits for. */
export const rolloutsOf = (objects: ObjectRef[]): WorkloadRef[] =>
  objects
    .filter((o) => ROLLOUT_KINDS.has(o.kind) && o.namespace)
    .map((o) => ({ kind: o.kind as WorkloadRef['kind'], namespace: o.namespace!, name: o.name }));

/**
 * Two addons that ship the same object (Istio's jaeger and zipkin both define the `tracing` and
 * `zipkin` Services) cannot both be installed: removing one would take the other's object with it.
 */
export function checkNoSharedObjects(wanted: AddonToApply[], installed: RecordedAddon[]): void {
  const owners = new Map<string, string>();
  for (const addon of installed)
    if (!wanted.some((w) => w.name === addon.name)) for (const o of addon.objects) owners.set(formatRef(o), addon.name);
  for (const addon of wanted)
    for (const o of addon.objects) {
      const ref = formatRef(o);
      const owner = owners.get(ref);
      if (owner && owner !== addon.name)
        throw usageError(
          `addons ${owner} and ${addon.name} both define ${ref}`,
          `install one of them (\`mesh addons uninstall ${owner}\` first if it is installed)`,
        );
      owners.set(ref, addon.name);
    }
}

export function buildAddonsInstallPlan(input: {
  addons: AddonToApply[];
  istioNamespace: string;
  context?: string;
  release: string;
}): AddonsPlan {
  return {
    schemaVersion: 1,
    kind: 'AddonsPlan',
    action: 'install',
    istioNamespace: input.istioNamespace,
    ...(input.context ? { context: input.context } : {}),
    release: input.release,
    addons: input.addons.map((a) => ({
      name: a.name,
      source: a.source,
      objects: a.objects.map(formatRef),
      waitFor: rolloutsOf(a.objects).map((w) => `${w.kind}/${w.namespace}/${w.name}`),
    })),
  };
}

/**
 * Removing addons deletes exactly the objects the record lists for them, in the reverse of the
 * order they were applied (workloads before the config they mount), and none an addon that stays lists.
 */
export function buildAddonsUninstallPlan(input: {
  remove: RecordedAddon[];
  keep: RecordedAddon[];
  istioNamespace: string;
  context?: string;
}): AddonsPlan {
  const kept = new Set(input.keep.flatMap((a) => a.objects.map(formatRef)));
  return {
    schemaVersion: 1,
    kind: 'AddonsPlan',
    action: 'uninstall',
    istioNamespace: input.istioNamespace,
    ...(input.context ? { context: input.context } : {}),
    addons: input.remove.map((a) => ({
      name: a.name,
      source: a.source,
      objects: [...a.objects]
        .reverse()
        .map(formatRef)
        .filter((ref) => !kept.has(ref)),
      waitFor: [],
    })),
  };
}

export function addonsPlanToText(plan: AddonsPlan): string {
  const lines = [
    `mesh addons ${plan.action} (dry run: nothing changed)${plan.context ? ` in context ${plan.context}` : ''}`,
    ...(plan.release ? [`from ${plan.release}`] : []),
  ];
  for (const addon of plan.addons) {
    lines.push(`${addon.name}: ${plan.action === 'install' ? 'server-side apply' : 'delete'} ${addon.objects.length} objects`);
    for (const o of addon.objects) lines.push(`  ${o}`);
    if (addon.waitFor.length) lines.push(`  then wait for ${addon.waitFor.join(', ')}`);
    if (addon.volumeClaims?.length) lines.push(`  then the volume claims its StatefulSet left: ${addon.volumeClaims.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
