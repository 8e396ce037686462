import { recordName } from '../plan/install.js';
import type { InstallRecord } from '../plan/record.js';

/** What `mesh tag set|remove` will do, as data: printed by --dry-run (text or -o json). */
export interface TagPlan {
  schemaVersion: 1;
  kind: 'TagPlan';
  action: 'set' | 'remove';
  tag: string;
  /** set: the revision the tag will point at; remove: the one it points at. */
  revision: string;
  /** set: the revision it points at now, when another (--overwrite moves it). */
  from?: string;
  context: string;
  /** false: the cluster is as asked already; nothing would run. */
  changed: boolean;
  /** The istioctl command mesh runs (kubeconfig flags aside). */
  command: string[];
  /** `Kind/name` of what that command creates or updates (set), or deletes (remove). */
  objects: string[];
  /** Injectors istioctl makes select nothing (tag `default`: the default revision's own, so one injector answers). */
  deactivates: string[];
  /** The install records (ConfigMaps) whose list of tags changes. */
  records: string[];
  /** Namespaces that use the tag: their pods keep the proxies they have until restarted. */
  namespaces: string[];
}

/** The tags a record keeps once `tag` points at `revision` (undefined: the tag is removed). */
export function nextTags(record: InstallRecord, tag: string, revision: string | undefined): string[] {
  const others = (record.tags ?? []).filter((t) => t !== tag);
  return (record.revision || 'default') === revision ? [...others, tag] : others;
}

const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((t) => b.includes(t));

/** The records whose tags change once `tag` points at `revision` (undefined: once it is removed). */
export function changedRecords(records: InstallRecord[], tag: string, revision: string | undefined): InstallRecord[] {
  return records.filter((r) => !sameTags(r.tags ?? [], nextTags(r, tag, revision)));
}

export const recordRef = (record: InstallRecord, ns: string): string => `ConfigMap/${ns}/${recordName(record.revision)}`;

export function tagPlanToText(plan: TagPlan): string {
  const lines = [`mesh tag ${plan.action} ${plan.tag} (dry run: nothing changed) in context ${plan.context}`];
  if (!plan.changed)
    lines.push(
      plan.action === 'set'
        ? `tag ${plan.tag} already points at revision ${plan.revision}: nothing to change`
        : `no tag ${plan.tag}: nothing to remove`,
    );
  else {
    lines.push(
      plan.action === 'set'
        ? `point tag ${plan.tag} at revision ${plan.revision}${plan.from ? ` (it points at ${plan.from} now)` : ''}`
        : `remove tag ${plan.tag} (it points at revision ${plan.revision})`,
      `  $ istioctl ${plan.command.join(' ')}`,
      `  ${plan.action === 'set' ? 'creates or updates' : 'deletes'}: ${plan.objects.join(', ') || 'nothing istioctl names'}`,
    );
    if (plan.deactivates.length) lines.push(`  makes select nothing (one injector per namespace): ${plan.deactivates.join(', ')}`);
  }
  if (plan.records.length) lines.push(`${plan.action === 'set' ? 'record' : 'forget'} tag ${plan.tag} in ${plan.records.join(', ')}`);
  if (plan.namespaces.length)
    lines.push(
      `namespaces using tag ${plan.tag}: ${plan.namespaces.join(', ')}` +
        (!plan.changed
          ? ''
          : plan.action === 'set'
            ? ' (their pods keep the proxies they have until restarted)'
            : ' (their new pods would get no sidecar)'),
    );
  return `${lines.join('\n')}\n`;
}
