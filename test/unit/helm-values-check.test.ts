import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartIdentity, HelmMemo } from '../../src/adapters/helm-memo.js';
import { profileFromOptions } from '../../src/profiles/index.js';
import { installContents } from '../../src/render/workloads.js';
import { buildInstallPlan } from '../../src/plan/install.js';
import type { RunResult, Runner } from '../../src/adapters/tool-run.js';
import { checkHelmValues, helmComplaint, templateArgv } from '../../src/commands/install/helm-values-check.js';

const helmPlan = (profile: string, backend: 'helm' | 'istioctl' = 'helm', chartsDir = '/charts') => {
  const p = profileFromOptions({ profile });
  return buildInstallPlan({
    profile: p,
    contents: installContents(p),
    backend,
    target: { kubeconfig: '/k', context: 'ctx' },
    injectNamespaces: [],
    timeoutSeconds: 60,
    chartsDir,
  });
};
const resolve = (argv: string[]) => argv.map((a) => a.replace(/^<rendered:(.*)>$/, '/tmp/x/$1'));
const refusal =
  'Error: execution error at (istiod/templates/zzz_profile.yaml:31:3): unknown profile nope\n\nUse --debug flag to render out invalid YAML\n';

/** A helm that answers each release by name, recording what it was asked. */
function fakeHelm(answers: Record<string, RunResult>) {
  const calls: string[][] = [];
  const run: Runner = async (_file, argv) => {
    calls.push(argv);
    return answers[argv[1]] ?? { exitCode: 0, stdout: 'kind: Deployment\n', stderr: '' };
  };
  return { run, calls };
}

describe("helm's verdict on the values (helm template of each release)", () => {
  it("renders with the apply's own release, chart, namespace and values file, without the flags only upgrade knows", () => {
    const plan = helmPlan('demo');
    const istiod = plan.steps.find((s) => s.id === 'apply' && s.release === 'istiod');
    expect(istiod?.id === 'apply' && templateArgv(istiod)).toEqual([
      'template',
      'istiod',
      '/charts/istio-control/istio-discovery',
      '--namespace',
      'istio-system',
      '--values',
      '<rendered:istiod.values.yaml>',
      '--kubeconfig',
      '/k',
      '--kube-context',
      'ctx',
    ]);
    expect(plan.steps[0]).toMatchObject({ id: 'preflight', checks: expect.arrayContaining(['helm-accepts-values']) });
  });

  it('accepted: every release rendered once, all started at once', async () => {
    const plan = helmPlan('demo');
    const { run, calls } = fakeHelm({});
    expect(await checkHelmValues(plan, 'helm', resolve, run)).toEqual({ kind: 'accepted' });
    expect(calls.map((c) => c[1])).toEqual(['istio-base', 'istiod', 'istio-ingressgateway', 'istio-egressgateway']);
    expect(calls[1]).toContain('/tmp/x/istiod.values.yaml');
  });

  it("a chart's refusal is the verdict, naming the release, in helm's words, before another release's failure", async () => {
    const unreachable = { exitCode: 1, stdout: '', stderr: 'Error: chart not found\n' };
    const { run, calls } = fakeHelm({ 'istio-base': unreachable, istiod: { exitCode: 1, stdout: '', stderr: refusal } });
    expect(await checkHelmValues(helmPlan('demo'), 'helm', resolve, run)).toEqual({
      kind: 'rejected',
      release: 'istiod',
      complaint: 'execution error at (istiod/templates/zzz_profile.yaml:31:3): unknown profile nope',
    });
    expect(calls).toHaveLength(4);
  });

  it('a failure that is not about the values (a chart repository out of reach) is a failure of helm, not a rejection', async () => {
    const stderr =
      'Error: looks like "https://istio-release.storage.googleapis.com/charts" is not a valid chart repository or cannot be reached\n';
    const { run } = fakeHelm({ 'istio-base': { exitCode: 1, stdout: '', stderr } });
    const verdict = await checkHelmValues(helmPlan('minimal'), 'helm', resolve, run);
    expect(verdict?.kind).toBe('failed');
    expect(verdict?.kind === 'failed' && verdict.error.message).toMatch(
      /^helm template istio-base .* failed \(exit 1\): Error: looks like/,
    );
  });

  it('a helm that cannot be started is a failure, never an unhandled rejection', async () => {
    const run: Runner = () => Promise.reject(new Error('spawn helm ENOENT'));
    expect(await checkHelmValues(helmPlan('minimal'), 'helm', resolve, run)).toMatchObject({ kind: 'failed' });
  });

  it('an istioctl plan has no helm release to render', () => {
    expect(checkHelmValues(helmPlan('demo', 'istioctl'), 'helm', resolve, fakeHelm({}).run)).toBeUndefined();
  });

  it("helm's complaint loses its 'Error: ' and its --debug advice, and stays one line", () => {
    expect(helmComplaint('Error: a\nb\n\nUse --debug flag to render out invalid YAML\n')).toBe('a; b');
  });
});

describe('helm renders remembered (a re-run does not render the same charts and values again)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-helm-memo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const helm = join(dir, 'helm');
  writeFileSync(helm, '#!/bin/sh\n', { mode: 0o755 });
  const charts = join(dir, 'charts');
  for (const chart of ['base', 'istio-control/istio-discovery']) {
    mkdirSync(join(charts, chart, 'templates'), { recursive: true });
    writeFileSync(join(charts, chart, 'Chart.yaml'), 'name: x\n');
    writeFileSync(join(charts, chart, 'templates', 'a.yaml'), 'kind: A\n');
  }
  const memo = () => new HelmMemo({ MESH_CACHE: join(dir, 'cache') });

  it('an accepted render is remembered per chart content and values; a refusal never is', async () => {
    const first = fakeHelm({});
    expect(await checkHelmValues(helmPlan('minimal', 'helm', charts), helm, resolve, first.run, memo())).toEqual({ kind: 'accepted' });
    expect(first.calls).toHaveLength(2);
    const again = fakeHelm({});
    expect(await checkHelmValues(helmPlan('minimal', 'helm', charts), helm, resolve, again.run, memo())).toEqual({ kind: 'accepted' });
    expect(again.calls).toHaveLength(0);
    // other values: rendered again, and refused; the refusal is asked every time
    const other = profileFromOptions({ profile: 'minimal', set: ['values.profile=nope'] });
    const refusedPlan = buildInstallPlan({
      profile: other,
      contents: installContents(other),
      backend: 'helm',
      target: { kubeconfig: '/k', context: 'ctx' },
      injectNamespaces: [],
      timeoutSeconds: 60,
      chartsDir: charts,
    });
    for (let i = 0; i < 2; i++) {
      const refused = fakeHelm({ istiod: { exitCode: 1, stdout: '', stderr: refusal } });
      expect(await checkHelmValues(refusedPlan, helm, resolve, refused.run, memo())).toMatchObject({ kind: 'rejected' });
      // the base chart accepted these values: remembered; istiod's refusal is asked again
      expect(refused.calls.map((c) => c[1])).toEqual(i === 0 ? ['istio-base', 'istiod'] : ['istiod']);
    }
    // a chart file changed: that chart is rendered again, the other is not
    writeFileSync(join(charts, 'base', 'templates', 'a.yaml'), 'kind: B\n');
    const changed = fakeHelm({});
    await checkHelmValues(helmPlan('minimal', 'helm', charts), helm, resolve, changed.run, memo());
    expect(changed.calls.map((c) => c[1])).toEqual(['istio-base']);
  });

  it('a chart is known by its files, or by repository and pinned version; an unpinned repository chart is never remembered', () => {
    expect(chartIdentity([join(charts, 'base')])).toMatch(/^[0-9a-f]{64}$/);
    expect(chartIdentity([join(dir, 'no-such-chart')])).toBeUndefined();
    expect(chartIdentity(['base', '--repo', 'https://charts', '--version', '1.31.0'])).toBe(
      ['base', '--repo', 'https://charts', '--version', '1.31.0'].join('\0'),
    );
    expect(chartIdentity(['base', '--repo', 'https://charts'])).toBeUndefined();
  });
});
