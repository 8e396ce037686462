import { getPath, isTree, type Tree } from '../profiles/merge.js';
import type { ManifestObject } from './objects.js';

/**
 * `istioctl install` applies what `manifest generate` prints, plus two edits of its own
 * (operator/pkg/install/install.go getOwnerLabels, operator/pkg/webhook/webhook.go): the owner
 * labels name the IstioOperator (the charts print `unknown`), and a default-revision install makes
 * the `default` tag, which deactivates the revision's own injection webhooks with a selector that
 * never matches (istioctl/pkg/tag/util.go). A diff that skipped them would report both forever.
 */
const OWNER = 'install.operator.istio.io/owning-resource';
const OWNER_NAMESPACE = 'install.operator.istio.io/owning-resource-namespace';
const NEVER_MATCH = { matchLabels: { 'istio.io/deactivated': 'never-match' } };

export function asIstioctlInstalls(objects: ManifestObject[], istioOperator: Tree): ManifestObject[] {
  const name = getPath(istioOperator, ['metadata', 'name']);
  const namespace = getPath(istioOperator, ['metadata', 'namespace']);
  const revision = getPath(istioOperator, ['spec', 'values', 'revision']);
  const operatorManagesWebhooks = getPath(istioOperator, ['spec', 'values', 'global', 'operatorManageWebhooks']) === true;
  const makesDefaultTag = !revision && !operatorManagesWebhooks;
  return objects.map((object) => {
    const labels = { ...(isTree(object.metadata.labels) ? object.metadata.labels : {}) } as Record<string, unknown>;
    if (typeof name === 'string' && name) labels[OWNER] = name;
    if (typeof namespace === 'string' && namespace) labels[OWNER_NAMESPACE] = namespace;
    const out: ManifestObject = { ...object, metadata: { ...object.metadata, labels } };
    const deactivated =
      makesDefaultTag &&
      object.kind === 'MutatingWebhookConfiguration' &&
      labels['istio.io/rev'] === 'default' &&
      labels['istio.io/tag'] === undefined &&
      Array.isArray(object.webhooks);
    if (deactivated)
      out.webhooks = (object.webhooks as Tree[]).map((webhook) => ({
        ...webhook,
        namespaceSelector: NEVER_MATCH,
        objectSelector: NEVER_MATCH,
      }));
    return out;
  });
}
