import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartIdentity, HelmMemo } from '../../src/adapters/helm-memo.js';
import { profileFromOptions } from '../../src/profiles/index.js';
import { installContents } from '../../src/render/workloads.js';
import { buildInstallPlan } from '../../src/plan/install.js';
import type { RunResult, Runner } from '../../src/adapters/tool-run.js';
import { applyArgv, checkHelmValues } from '../../src/commands/install/helm-values-check.js';
import { chartDownloadError, downloadFailure, helmComplaint, templateArgv, withChartArchive } from '../../src/plan/helm-commands.js';

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
    expect(await checkHelmValues(plan, 'helm', resolve, run)).toEqual({ kind: 'accepted', archives: {} });
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

describe('charts from a repository: downloaded once, rendered and installed from that archive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-helm-pull-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const repoPlan = (chartVersion?: string) => {
    const p = profileFromOptions({ profile: 'minimal' });
    return buildInstallPlan({
      profile: p,
      contents: installContents(p),
      backend: 'helm',
      target: { kubeconfig: '/k', context: 'ctx' },
      injectNamespaces: [],
      timeoutSeconds: 60,
      chartRepo: 'http://mirror.example/charts',
      chartVersion,
    });
  };
  /** helm pull writes <chart>-<version>.tgz into --destination, as helm does; a version 9.9.9 the repository lacks. */
  const pullingHelm = () => {
    const calls: string[][] = [];
    const run: Runner = async (_file, argv) => {
      calls.push(argv);
      if (argv[0] !== 'pull') return { exitCode: 0, stdout: 'kind: Deployment\n', stderr: '' };
      const version = argv[argv.indexOf('--version') + 1];
      if (version === '9.9.9')
        return {
          exitCode: 1,
          stdout: '',
          stderr: `Error: chart "${argv[1]}" version "9.9.9" not found in http://mirror.example/charts repository\n`,
        };
      writeFileSync(join(argv[argv.indexOf('--destination') + 1], `${argv[1]}-1.31.0.tgz`), 'archive');
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    return { run, calls };
  };

  it('each chart is pulled once; template and the apply name the archive, the record keeps the repository', async () => {
    const plan = repoPlan('1.31.0');
    const { run, calls } = pullingHelm();
    const checked = checkHelmValues(plan, 'helm', resolve, run, undefined, dir);
    const verdict = await checked;
    const archive = (chart: string) => join(dir, 'charts', chart === 'base' ? 'istio-base' : 'istiod', `${chart}-1.31.0.tgz`);
    expect(verdict).toEqual({ kind: 'accepted', archives: { 'istio-base': archive('base'), istiod: archive('istiod') } });
    expect(calls.filter((c) => c[0] === 'pull')).toEqual([
      ['pull', 'base', '--repo', 'http://mirror.example/charts', '--version', '1.31.0', '--destination', join(dir, 'charts', 'istio-base')],
      ['pull', 'istiod', '--repo', 'http://mirror.example/charts', '--version', '1.31.0', '--destination', join(dir, 'charts', 'istiod')],
    ]);
    const templates = calls.filter((c) => c[0] === 'template');
    expect(templates.map((c) => c.slice(0, 3))).toEqual([
      ['template', 'istio-base', archive('base')],
      ['template', 'istiod', archive('istiod')],
    ]);
    for (const c of templates) expect(c).not.toContain('--repo');
    const base = plan.steps.find((s) => s.id === 'apply' && s.release === 'istio-base');
    if (base?.id !== 'apply') throw new Error('no base release');
    expect(await applyArgv(base, checked)).toEqual(['upgrade', '--install', 'istio-base', archive('base'), ...base.argv.slice(8)]);
    expect(base.chartRef).toEqual(['base', '--repo', 'http://mirror.example/charts', '--version', '1.31.0']);
  });

  it('a version the repository lacks is unfetchable and says so; the apply keeps the reference when nothing was pulled', async () => {
    const plan = repoPlan('9.9.9');
    const verdict = await checkHelmValues(plan, 'helm', resolve, pullingHelm().run, undefined, dir);
    expect(verdict).toMatchObject({
      kind: 'unfetchable',
      release: 'istio-base',
      missing: true,
      complaint: 'chart "base" version "9.9.9" not found in http://mirror.example/charts repository',
    });
    const istiod = plan.steps.find((s) => s.id === 'apply' && s.release === 'istiod');
    if (istiod?.id !== 'apply') throw new Error('no istiod release');
    expect(await applyArgv(istiod, Promise.resolve({ kind: 'accepted', archives: {} }))).toEqual(istiod.argv);
  });

  it("helm's words for a chart it could not download: a missing version is bad input (2), a repository out of reach exit 3", () => {
    const ref = ['base', '--repo', 'http://mirror.example/charts', '--version', '9.9.9'];
    const missing = 'chart "base" version "9.9.9" not found in http://mirror.example/charts repository';
    const away = 'looks like "http://mirror.example/charts" is not a valid chart repository or cannot be reached: dial tcp: refused';
    expect(downloadFailure(ref, missing)).toEqual({ missing: true });
    expect(downloadFailure(ref, away)).toEqual({ missing: false });
    expect(downloadFailure(ref, 'execution error at (base/templates/x.yaml:1:1): nope')).toBeUndefined();
    expect(downloadFailure(['/charts/base'], missing)).toBeUndefined();
    const error = chartDownloadError({ release: 'istio-base', chartRef: ref, complaint: missing, missing: true });
    expect([error.exitCode, error.message]).toEqual([
      2,
      `helm cannot download chart base version 9.9.9 from http://mirror.example/charts for release istio-base: ${missing}`,
    ]);
    expect(chartDownloadError({ release: 'istio-base', chartRef: ref.slice(0, 3), complaint: away, missing: false })).toMatchObject({
      exitCode: 3,
      message: `helm cannot download chart base from http://mirror.example/charts for release istio-base: ${away}`,
    });
  });

  it('the chart reference is replaced where it stands, and only there', () => {
    expect(
      withChartArchive(['upgrade', '--install', 'r', 'base', '--repo', 'u', '--namespace', 'n'], ['base', '--repo', 'u'], '/a.tgz'),
    ).toEqual(['upgrade', '--install', 'r', '/a.tgz', '--namespace', 'n']);
    expect(() => withChartArchive(['template', 'r', 'other'], ['base', '--repo', 'u'], '/a.tgz')).toThrow(/not in/);
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
    expect(await checkHelmValues(helmPlan('minimal', 'helm', charts), helm, resolve, first.run, memo())).toEqual({
      kind: 'accepted',
      archives: {},
    });
    expect(first.calls).toHaveLength(2);
    const again = fakeHelm({});
    expect(await checkHelmValues(helmPlan('minimal', 'helm', charts), helm, resolve, again.run, memo())).toEqual({
      kind: 'accepted',
      archives: {},
    });
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
