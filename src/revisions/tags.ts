import type { V1MutatingWebhookConfiguration, V1Namespace } from '@kubernetes/client-node';

/**
 * Revision tags as the cluster holds them (pure over listed objects): a tag is a mutating webhook
 * labelled `istio.io/tag=<tag>` and `istio.io/rev=<revision>` (istioctl/pkg/tag); a namespace
 * uses it with `istio.io/rev=<tag>`, and the `default` tag also with `istio-injection=enabled`
 * (see injectionTarget).
 */
export interface RevisionTag {
  tag: string;
  revision: string;
  webhook: string;
  namespaces: string[];
}

/**
 * The tag or revision a namespace's new pods are injected by, by its labels: `istio-injection`
 * wins over `istio.io/rev` (enabled means `default`, disabled means none), as Istio's webhooks
 * select; undefined when neither asks for injection.
 */
export function injectionTarget(namespace: V1Namespace): string | undefined {
  const labels = namespace.metadata?.labels ?? {};
  const injection = labels['istio-injection'];
  if (injection === 'enabled') return 'default';
  if (injection !== undefined) return undefined;
  return labels['istio.io/rev'];
}

export function revisionTags(webhooks: V1MutatingWebhookConfiguration[], namespaces: V1Namespace[]): RevisionTag[] {
  return webhooks
    .filter((w) => w.metadata?.labels?.['istio.io/tag'])
    .map((w) => {
      const tag = w.metadata!.labels!['istio.io/tag'];
      return {
        tag,
        revision: w.metadata?.labels?.['istio.io/rev'] ?? 'default',
        webhook: w.metadata?.name ?? '',
        namespaces: namespaces
          .filter((n) => injectionTarget(n) === tag)
          .map((n) => n.metadata?.name ?? '')
          .sort(),
      };
    })
    .sort((a, b) => a.tag.localeCompare(b.tag));
}

export const tagsTable = (tags: RevisionTag[]): string => {
  const rows = [['TAG', 'REVISION', 'NAMESPACES'], ...tags.map((t) => [t.tag, t.revision, t.namespaces.join(',') || '-'])];
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(width[i]) : c)).join('   ')).join('\n')}\n`;
};
