import { describe, expect, it } from 'vitest';
import { profileFromOptions } from '../../src/profiles/index.js';
import { installContents } from '../../src/render/workloads.js';
import { buildInstallPlan } from '../../src/plan/install.js';
import { buildUninstallPlan } from '../../src/plan/uninstall.js';
import { planToJson } from '../../src/plan/format.js';
import type { InstallRecord } from '../../src/plan/record.js';

const base = { injectNamespaces: ['default'], timeoutSeconds: 300 };
const intent = (options: Parameters<typeof profileFromOptions>[0]) => {
  const profile = profileFromOptions(options);
  return { profile, contents: installContents(profile) };
};

describe('install plan', () => {
  it('istioctl: preflight, install -f with kube flags, wait, label, record', () => {
    const plan = buildInstallPlan({
      ...base,
      ...intent({ profile: 'demo' }),
      backend: 'istioctl',
      target: { kubeconfig: '/k', context: 'ctx' },
    });
    expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'namespace', 'lock', 'record', 'apply', 'wait', 'label', 'record']);
    expect(plan.steps[2]).toMatchObject({ id: 'lock', lease: 'istio-system/mesh-lock' });
    expect(plan.steps[4]).toMatchObject({
      tool: 'istioctl',
      argv: ['install', '-f', '<rendered:istio-operator.yaml>', '--readiness-timeout', '300s', '--kubeconfig', '/k', '--context', 'ctx'],
      heldAtPrompt: true,
    });
    expect(plan.steps[6]).toMatchObject({ namespace: 'default', set: { 'istio-injection': 'enabled' } });
    expect(plan.steps.filter((s) => s.id === 'record').map((s) => (s as { action: string }).action)).toEqual(['write', 'complete']);
    expect(plan.files['istio-operator.yaml']).toContain('kind: IstioOperator');
  });

  it('helm: one upgrade --install per chart from a local directory, helm spelling of --kube-context', () => {
    const plan = buildInstallPlan({
      ...base,
      ...intent({ profile: 'default', set: ['revision=canary'] }),
      backend: 'helm',
      target: { context: 'ctx' },
      chartsDir: '/charts/',
    });
    const applies = plan.steps.filter((s) => s.id === 'apply');
    expect(applies.map((s) => (s as { argv: string[] }).argv.slice(0, 4))).toEqual([
      ['upgrade', '--install', 'istio-base', '/charts/base'],
      ['upgrade', '--install', 'istiod-canary', '/charts/istio-control/istio-discovery'],
      ['upgrade', '--install', 'istio-ingressgateway', '/charts/gateway'],
    ]);
    expect((applies[0] as { argv: string[] }).argv).toContain('--kube-context');
    // values are what mesh rendered now, never the last release's (a dropped overlay goes away)
    for (const a of applies) expect((a as { argv: string[] }).argv).toContain('--reset-values');
    expect(plan.steps.find((s) => s.id === 'label')).toMatchObject({ set: { 'istio.io/rev': 'canary' } });
    expect(Object.keys(plan.files)).toEqual(['istio-base.values.yaml', 'istiod-canary.values.yaml', 'istio-ingressgateway.values.yaml']);
  });

  it('helm without --charts pulls from the Istio chart repository at a pinned version', () => {
    const plan = buildInstallPlan({
      ...base,
      injectNamespaces: [],
      ...intent({ profile: 'minimal' }),
      backend: 'helm',
      target: {},
      chartVersion: '1.31.0',
    });
    // The base chart renders the CRDs: orphaned ones (an istioctl install's) are adopted just before it.
    expect(plan.steps[4]).toMatchObject({ id: 'adopt-crds', release: 'istio-base', namespace: 'istio-system' });
    expect((plan.steps[5] as { argv: string[] }).argv.slice(0, 8)).toEqual([
      'upgrade',
      '--install',
      'istio-base',
      'base',
      '--repo',
      'https://istio-release.storage.googleapis.com/charts',
      '--version',
      '1.31.0',
    ]);
  });

  it('JSON carries a schema version and summarises files by hash', () => {
    const plan = buildInstallPlan({ ...base, ...intent({ profile: 'minimal' }), backend: 'istioctl', target: {} });
    const json = JSON.parse(planToJson(plan));
    expect(json.schemaVersion).toBe(1);
    expect(json.files['istio-operator.yaml']).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('uninstall plan', () => {
  const record: InstallRecord = {
    schemaVersion: 1,
    meshVersion: '0.1.0',
    backend: 'helm',
    profile: 'demo',
    istioProfile: 'demo',
    revision: '',
    istioNamespace: 'istio-system',
    overlays: [],
    sets: [],
    specSha256: 'x',
    toolVersions: {},
    workloads: [],
    status: 'installed',
    releases: [
      { release: 'istio-base', namespace: 'istio-system', chart: 'base' },
      { release: 'istiod', namespace: 'istio-system', chart: 'istiod' },
    ],
    labelledNamespaces: [
      { namespace: 'default', labels: { 'istio-injection': 'enabled' } },
      { namespace: 'apps', labels: { 'istio-injection': 'enabled' }, previous: { 'istio-injection': 'disabled' } },
    ],
    createdNamespaces: ['istio-system'],
    installedAt: 'now',
  };

  it('undoes labels (restoring previous values), helm releases in reverse, CRDs with --purge, then the namespace', () => {
    const plan = buildUninstallPlan({ record, purge: true, target: {}, timeoutSeconds: 60 });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'preflight',
      'lock',
      'label',
      'label',
      'apply',
      'apply',
      'delete',
      'record',
      'delete',
      'delete',
    ]);
    expect(plan.steps[2]).toMatchObject({ namespace: 'default', remove: ['istio-injection'] });
    expect(plan.steps[3]).toMatchObject({ namespace: 'apps', remove: [], set: { 'istio-injection': 'disabled' } });
    expect(plan.steps.filter((s) => s.id === 'apply').map((s) => (s as { release: string }).release)).toEqual(['istiod', 'istio-base']);
    expect(plan.steps.at(-2)).toMatchObject({ what: ['Namespace/istio-system'] });
    expect(plan.steps[6]).toMatchObject({
      what: ['CustomResourceDefinition/*.istio.io'],
      description: expect.stringMatching(/helm uninstall leaves/),
    });
    const istioctl = buildUninstallPlan({ record: { ...record, backend: 'istioctl' }, purge: true, target: {}, timeoutSeconds: 60 });
    expect(istioctl.steps.find((s) => s.description.includes('CRDs'))?.description).toBe('delete any Istio CRDs istioctl left behind');
  });

  it('keeps CRDs and a namespace mesh did not create', () => {
    const plan = buildUninstallPlan({ record: { ...record, createdNamespaces: [] }, purge: false, target: {}, timeoutSeconds: 60 });
    expect(plan.steps.filter((s) => s.id === 'delete').map((s) => (s as { what: string[] }).what)).toEqual([
      ['ConfigMap/*/istio-ca-root-cert', 'ConfigMap/*/istio-ca-crl'],
    ]);
  });

  it('istioctl: uninstall -f the recorded spec, or --purge', () => {
    const r = { ...record, backend: 'istioctl' as const, releases: [], renderedSpec: 'kind: IstioOperator\n' };
    expect(
      buildUninstallPlan({ record: r, purge: false, target: {}, timeoutSeconds: 60 }).steps.find((s) => s.id === 'apply'),
    ).toMatchObject({ argv: ['uninstall', '-f', '<rendered:istio-operator.yaml>', '-y'] });
    expect(
      buildUninstallPlan({ record: r, purge: true, target: {}, timeoutSeconds: 60 }).steps.find((s) => s.id === 'apply'),
    ).toMatchObject({ argv: ['uninstall', '--purge', '-y'] });
  });

  it('beside another revision: keeps what they share (releases, the Istio namespace, root certificates), istioctl by --revision', () => {
    const canary = {
      ...record,
      revision: 'canary',
      releases: [
        { release: 'istio-base', namespace: 'istio-system', chart: 'base' },
        { release: 'istiod-canary', namespace: 'istio-system', chart: 'istiod' },
      ],
      labelledNamespaces: [],
    };
    const plan = buildUninstallPlan({ record: canary, purge: false, target: {}, timeoutSeconds: 60, otherRevisions: [record] });
    expect(plan.steps.filter((s) => s.id === 'apply').map((s) => (s as { release: string }).release)).toEqual(['istiod-canary']);
    expect(plan.steps.filter((s) => s.id === 'delete')).toEqual([]);
    expect(plan.steps.find((s) => s.id === 'record')).toMatchObject({ configMap: 'istio-system/mesh-install-canary' });
    const istioctl = { ...canary, backend: 'istioctl' as const, releases: [], renderedSpec: 'kind: IstioOperator\n' };
    expect(
      buildUninstallPlan({ record: istioctl, purge: false, target: {}, timeoutSeconds: 60, otherRevisions: [record] }).steps.find(
        (s) => s.id === 'apply',
      ),
    ).toMatchObject({ argv: ['uninstall', '--revision', 'canary', '-y'] });
  });

  describe('rolling back a canary', () => {
    const canary = {
      ...record,
      backend: 'istioctl' as const,
      releases: [],
      revision: '1-31-0',
      labelledNamespaces: [],
      tagsMovedFrom: { default: 'default', prod: 'gone' },
    };

    it('moves the tags an upgrade moved here back to their revision when it still runs, before removing anything', () => {
      const plan = buildUninstallPlan({ record: canary, purge: false, target: {}, timeoutSeconds: 60, otherRevisions: [record] });
      const tags = plan.steps.filter((s) => s.id === 'tag');
      expect(tags).toEqual([expect.objectContaining({ tag: 'default', revision: 'default', onlyFrom: '1-31-0' })]);
      expect(plan.steps.indexOf(tags[0])).toBeLessThan(plan.steps.findIndex((s) => s.id === 'apply'));
      // the last revision standing has nowhere to move them
      expect(buildUninstallPlan({ record: canary, purge: false, target: {}, timeoutSeconds: 60 }).steps.some((s) => s.id === 'tag')).toBe(
        false,
      );
    });

    it('judges who still uses the revision on the state after the undo: labels given back, tags moved back', async () => {
      const { afterUndo, namespacesUsing } = await import('../../src/revisions/usage.js');
      const ns = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
      const namespaces = [
        ns('moved', { 'istio.io/rev': '1-31-0' }),
        ns('tagged', { 'istio-injection': 'enabled' }),
        ns('mine', { 'istio.io/rev': '1-31-0' }),
      ];
      const tags = [{ tag: 'default', revision: '1-31-0', webhook: 'istio-revision-tag-default', namespaces: ['tagged'] }];
      expect(namespacesUsing('1-31-0', namespaces, tags)).toEqual(['mine', 'moved', 'tagged']);
      const after = afterUndo(namespaces, tags, {
        labelledNamespaces: [{ namespace: 'moved', labels: { 'istio.io/rev': '1-31-0' }, previous: { 'istio-injection': 'enabled' } }],
        tagsBack: [['default', 'default']],
      });
      // 'mine' was labelled by hand: it still counts
      expect(namespacesUsing('1-31-0', after.namespaces, after.tags)).toEqual(['mine']);
      expect(after.namespaces[0].metadata?.labels).toEqual({ 'istio-injection': 'enabled' });
    });
  });
});

describe('revisions', () => {
  it('a revision is a DNS label: a version with dots is refused with the spelling to use', async () => {
    const { checkRevision } = await import('../../src/cli/options.js');
    expect(checkRevision('canary')).toBe('canary');
    expect(checkRevision('default')).toBe('');
    expect(() => checkRevision('1.31.0')).toThrow(/--revision 1\.31\.0: not a valid revision/);
    expect(() => checkRevision('Prod.Stable', 'tag')).toThrow(/^tag Prod\.Stable: not a valid tag \(/);
    try {
      checkRevision('1.31.0');
    } catch (error) {
      expect((error as { hint?: string }).hint).toBe('e.g. --revision 1-31-0');
    }
  });

  it("tells a pod's injecting revision from its annotations, and names who uses a revision", async () => {
    const { injectedRevision, describeUsage } = await import('../../src/revisions/usage.js');
    const pod = (annotations: Record<string, string>) => ({ metadata: { annotations } });
    expect(injectedRevision(pod({ 'sidecar.istio.io/status': '{"revision":"canary"}', 'istio.io/rev': 'canary' }))).toBe('canary');
    expect(injectedRevision(pod({ 'sidecar.istio.io/status': '{"revision":"1-30"}' }))).toBe('1-30');
    expect(injectedRevision(pod({ 'sidecar.istio.io/status': '{}' }))).toBe('default');
    // istiod's own pods carry istio.io/rev but no sidecar: not a user of the revision
    expect(injectedRevision(pod({ 'istio.io/rev': 'canary' }))).toBeUndefined();
    expect(describeUsage({ pods: ['a/1', 'a/2', 'a/3'], namespaces: ['a'] }, 2)).toBe('3 pods (a/1, a/2, +1 more) and namespace a');
  });

  it('an untagged build (1.30-dev) still has a minor: skew rules apply to it', async () => {
    const { minorsAhead } = await import('../../src/istio/versions.js');
    expect(minorsAhead('1.31.0', '1.30-dev')).toBe(1);
    expect(minorsAhead('1.31.0', 'latest')).toBeUndefined();
  });
});

describe('the install record keeps no secrets', () => {
  it('redacts the values of secret-looking --set paths and spec keys', async () => {
    const { redactSet, redactYaml } = await import('../../src/plan/record.js');
    expect(redactSet('values.global.proxy.privateKey=abc')).toBe('values.global.proxy.privateKey=<redacted>');
    expect(redactSet('values.pilot.env.VAULT_TOKEN=s.abc')).toBe('values.pilot.env.VAULT_TOKEN=<redacted>');
    expect(redactSet('meshConfig.defaultConfig.proxyMetadata.DB_PASSWORD=hunter2')).toBe(
      'meshConfig.defaultConfig.proxyMetadata.DB_PASSWORD=<redacted>',
    );
    expect(redactSet('values.pilot.traceSampling=10')).toBe('values.pilot.traceSampling=10');
    expect(redactSet('values.global.keyCertBundle=x')).toBe('values.global.keyCertBundle=x');
    const spec = redactYaml('spec:\n  values:\n    pilot:\n      env:\n        API_TOKEN: s3cret\n        LOG: debug\n');
    expect(spec).toContain('API_TOKEN: <redacted>');
    expect(spec).toContain('LOG: debug');
    expect(spec).not.toContain('s3cret');
  });
});
