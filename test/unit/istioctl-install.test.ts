import { describe, expect, it } from 'vitest';
import { asIstioctlInstalls } from '../../src/diff/istioctl-install.js';

const injector = (rev: string, tag?: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: {
    name: tag ? `istio-revision-tag-${tag}` : rev === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${rev}`,
    labels: { 'istio.io/rev': rev, 'install.operator.istio.io/owning-resource': 'unknown', ...(tag ? { 'istio.io/tag': tag } : {}) },
  },
  webhooks: [{ name: 'rev.namespace.sidecar-injector.istio.io', namespaceSelector: { matchExpressions: [] }, objectSelector: {} }],
});
const iop = (spec: object) => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'mesh-demo', namespace: 'istio-system' },
  spec,
});

describe("istioctl install's own edits of what manifest generate prints", () => {
  it('labels every object with the IstioOperator it came from, as install does (the charts print unknown)', () => {
    const [out] = asIstioctlInstalls([injector('canary')], iop({ values: { revision: 'canary' } }));
    expect(out.metadata.labels).toMatchObject({
      'install.operator.istio.io/owning-resource': 'mesh-demo',
      'install.operator.istio.io/owning-resource-namespace': 'istio-system',
    });
  });

  it("deactivates the default revision's injector when the install makes the default tag, and only then", () => {
    const never = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
    const [deactivated] = asIstioctlInstalls([injector('default')], iop({}));
    expect(deactivated.webhooks).toEqual([
      { name: 'rev.namespace.sidecar-injector.istio.io', namespaceSelector: never, objectSelector: never },
    ]);
    // a revision's own webhook, a tag's webhook, and an operator that manages webhooks itself stay as rendered
    expect(asIstioctlInstalls([injector('canary')], iop({ values: { revision: 'canary' } }))[0].webhooks).toEqual(
      injector('canary').webhooks,
    );
    expect(asIstioctlInstalls([injector('default', 'default')], iop({}))[0].webhooks).toEqual(injector('default').webhooks);
    expect(asIstioctlInstalls([injector('default')], iop({ values: { global: { operatorManageWebhooks: true } } }))[0].webhooks).toEqual(
      injector('default').webhooks,
    );
  });
});
