import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { judgeBaseDefaultRevision, readDefaultValidator } from '../../src/revisions/default-validator.js';
import { defaultValidatorMove } from '../../src/plan/uninstall.js';
import { withDefaultRevision, type InstallRecord } from '../../src/plan/record.js';

/** istiod-default-validator on the helm backend: never left, or put, where no istiod answers (UPGRADE-NOTES pain 1). */
describe('the base chart default validator', () => {
  it('reads the revision and the owning helm release from the webhook', () => {
    expect(readDefaultValidator(undefined)).toBeUndefined();
    expect(
      readDefaultValidator({
        metadata: {
          labels: { 'istio.io/rev': '1-31-0' },
          annotations: { 'meta.helm.sh/release-name': 'istio-base', 'meta.helm.sh/release-namespace': 'istio-system' },
        },
      }),
    ).toEqual({ revision: '1-31-0', helmRelease: { name: 'istio-base', namespace: 'istio-system' } });
    expect(readDefaultValidator({ metadata: { labels: {} } })).toEqual({ revision: 'default' });
  });

  it('refuses an install that points it at a revision without istiod, with the value that keeps it working', () => {
    const judge = (input: Partial<Parameters<typeof judgeBaseDefaultRevision>[0]>) => () =>
      judgeBaseDefaultRevision({ baseDefaultRevision: 'default', installing: 'default', running: [], live: undefined, ...input });
    expect(judge({})).not.toThrow(); // the default revision itself
    expect(judge({ baseDefaultRevision: undefined, installing: 'canary' })).not.toThrow(); // no base chart (istioctl)
    expect(judge({ installing: 'canary', running: ['default'] })).not.toThrow(); // a canary beside the default
    expect(judge({ baseDefaultRevision: '', installing: 'canary' })).not.toThrow(); // renders no validator
    // a revision-only install: the chart's default names Service istiod, which will not exist
    expect(judge({ installing: 'solo' })).toThrow(/at revision default, which has no istiod: every Istio config write would fail/);
    let caught: unknown;
    try {
      judge({ installing: '1-31-0', running: ['1-31-0'], live: { revision: '1-31-0' } })();
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      message: expect.stringMatching(/\(it points at 1-31-0 now\)/),
      hint: 'pass --set values.defaultRevision=1-31-0',
    });
    expect(judge({ baseDefaultRevision: '1-31-0', installing: '1-31-0', running: ['1-31-0'] })).not.toThrow();
  });

  const record = (revision: string, installedAt: string, chartRef?: string[]): InstallRecord =>
    ({
      revision,
      installedAt,
      sets: ['tag=1.31.0'],
      releases: [{ release: 'istio-base', namespace: 'istio-system', chart: 'base', ...(chartRef ? { chartRef } : {}) }],
    }) as InstallRecord;

  it('moves to the most recently installed other revision, with a chart a record names', () => {
    const base = { name: 'istio-base', namespace: 'istio-system' };
    expect(
      defaultValidatorMove(base, [record('a', '2026-11-01T00:00:00Z', ['/charts/base']), record('b', '2026-11-02T00:00:00Z')]),
    ).toEqual({
      revision: 'b',
      chartRef: ['/charts/base'],
    });
    expect(defaultValidatorMove(base, [record('a', '2026-11-01T00:00:00Z')])).toBeUndefined();
  });

  it('the revision it moved to keeps it in its recorded intent, so a replay does not move it back', () => {
    const r = {
      ...record('1-31-0', ''),
      renderedSpec: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n',
    };
    const changed = withDefaultRevision(r, '1-31-0');
    expect(changed.sets).toEqual(['tag=1.31.0', 'values.defaultRevision=1-31-0']);
    expect(parse(changed.renderedSpec!)).toEqual({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      spec: { profile: 'minimal', values: { defaultRevision: '1-31-0' } },
    });
  });
});

describe("Istio's CRDs and helm's ownership check", () => {
  it('sorts them into ours, orphans (adopted) and another release’s (refused); other CRDs are not looked at', async () => {
    const { crdOwnership } = await import('../../src/install/crd-ownership.js');
    const crd = (name: string, release?: string, namespace = 'istio-system', managedBy = 'Helm') => ({
      metadata: {
        name,
        labels: { 'app.kubernetes.io/managed-by': managedBy },
        annotations: (release ? { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace } : {}) as Record<
          string,
          string
        >,
      },
    });
    const owned = crdOwnership(
      [
        crd('gateways.networking.istio.io', 'istio-base'),
        crd('virtualservices.networking.istio.io'),
        crd('sidecars.networking.istio.io', 'istio-base', 'istio-system', 'istioctl'),
        crd('telemetries.telemetry.istio.io', 'base', 'other'),
        crd('certificates.cert-manager.io'),
      ],
      { name: 'istio-base', namespace: 'istio-system' },
    );
    expect(owned).toEqual({
      orphans: ['sidecars.networking.istio.io', 'virtualservices.networking.istio.io'],
      foreign: [{ name: 'telemetries.telemetry.istio.io', owner: 'other/base' }],
    });
  });
});
