import type { V1MutatingWebhookConfiguration, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { KubeGateway } from '../adapters/kube.js';
import { injectionTarget, revisionTags, type RevisionTag } from './tags.js';

/**
 * Who still uses a revision: pods it injected, namespaces that inject with it (labelled with the
 * revision, or with a tag pointing at it), and the tags themselves. The injector marks a pod with
 * the label `security.istio.io/tlsMode` (so the list is of meshed pods only) and records the
 * revision in its annotations `istio.io/rev` and `sidecar.istio.io/status` (never as a label:
 * istiod's own pods carry that one).
 */
export interface RevisionUsage {
  pods: string[];
  namespaces: string[];
  tags: string[];
}

/** Every namespace and every revision tag: what says which revision injects where (two lists). */
export async function readInjectionState(kube: KubeGateway): Promise<{ namespaces: V1Namespace[]; tags: RevisionTag[] }> {
  const [namespaces, webhooks] = await Promise.all([
    kube.list<V1Namespace>('/api/v1/namespaces'),
    kube.list<V1MutatingWebhookConfiguration>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      labelSelector: 'istio.io/tag',
    }),
  ]);
  return { namespaces: namespaces.items, tags: revisionTags(webhooks.items, namespaces.items) };
}

/** What removing a revision gives back first: namespace labels as they were, tags to their earlier revision. */
export interface RevisionUndo {
  labelledNamespaces: Array<{ namespace: string; labels: Record<string, string>; previous?: Record<string, string> }>;
  tagsBack: Array<[string, string]>;
}

/** Namespaces and tags as they will be once the undo ran (pure): usage is judged on that state. */
export function afterUndo(
  namespaces: V1Namespace[],
  tags: RevisionTag[],
  undo: RevisionUndo,
): { namespaces: V1Namespace[]; tags: RevisionTag[] } {
  const restored = new Map(undo.labelledNamespaces.map((l) => [l.namespace, l]));
  const back = new Map(undo.tagsBack);
  return {
    namespaces: namespaces.map((n) => {
      const undoing = restored.get(n.metadata?.name ?? '');
      if (!undoing) return n;
      const labels = { ...n.metadata?.labels };
      for (const key of Object.keys(undoing.labels)) if (undoing.previous?.[key] === undefined) delete labels[key];
      Object.assign(labels, undoing.previous ?? {});
      return { ...n, metadata: { ...n.metadata, labels } };
    }),
    tags: tags.map((t) => (back.has(t.tag) ? { ...t, revision: back.get(t.tag)! } : t)),
  };
}

export async function revisionUsage(kube: KubeGateway, revision: string, undo?: RevisionUndo): Promise<RevisionUsage> {
  const rev = revision || 'default';
  const [pods, state] = await Promise.all([
    kube.list<V1Pod>('/api/v1/pods', { labelSelector: 'security.istio.io/tlsMode' }),
    readInjectionState(kube),
  ]);
  const { namespaces, tags } = undo ? afterUndo(state.namespaces, state.tags, undo) : state;
  return {
    pods: pods.items
      .filter((p) => injectedRevision(p) === rev)
      .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)
      .sort(),
    namespaces: namespacesUsing(rev, namespaces, tags),
    tags: tags.filter((t) => t.revision === rev).map((t) => t.tag),
  };
}

/**
 * Namespaces whose new pods the revision injects: labelled with it, or with a tag pointing at it;
 * `istio-injection=enabled` follows the default tag, else the default revision.
 */
export function namespacesUsing(revision: string, namespaces: V1Namespace[], tags: RevisionTag[]): string[] {
  const tagged = new Map(tags.map((t) => [t.tag, t.revision]));
  return namespaces
    .filter((n) => {
      const target = injectionTarget(n);
      // A name that is a tag resolves through it (the default tag included); else it is a revision.
      return target !== undefined && (tagged.get(target) ?? target) === revision;
    })
    .map((n) => n.metadata?.name ?? '')
    .sort();
}

/** The revision that injected a pod, as the injector recorded it; undefined for a pod it did not inject. */
export function injectedRevision(pod: V1Pod): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const status = annotations['sidecar.istio.io/status'];
  if (!status) return undefined;
  if (annotations['istio.io/rev']) return annotations['istio.io/rev'];
  try {
    return (JSON.parse(status) as { revision?: string }).revision || 'default';
  } catch {
    return 'default';
  }
}

/** "3 pods (app/web-1, app/web-2, +1 more) and namespace app" */
export function describeUsage(usage: Pick<RevisionUsage, 'pods' | 'namespaces'>, max = 5): string {
  const list = (items: string[]) => `${items.slice(0, max).join(', ')}${items.length > max ? `, +${items.length - max} more` : ''}`;
  const parts = [
    ...(usage.pods.length ? [`${usage.pods.length} pod${usage.pods.length === 1 ? '' : 's'} (${list(usage.pods)})`] : []),
    ...(usage.namespaces.length ? [`namespace${usage.namespaces.length === 1 ? '' : 's'} ${list(usage.namespaces)}`] : []),
  ];
  return parts.join(' and ');
}
