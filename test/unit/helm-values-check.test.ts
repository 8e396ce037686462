import { describe, expect, it } from 'vitest';
import { profileFromOptions } from '../../src/profiles/index.js';
import { installContents } from '../../src/render/workloads.js';
import { buildInstallPlan } from '../../src/plan/install.js';
import type { RunResult, Runner } from '../../src/adapters/tool-run.js';
import { checkHelmValues, helmComplaint, templateArgv } from '../../src/commands/install/helm-values-check.js';

const helmPlan = (profile: string, backend: 'helm' | 'istioctl' = 'helm') => {
  const p = profileFromOptions({ profile });
  return buildInstallPlan({
    profile: p,
    contents: installContents(p),
    backend,
    target: { kubeconfig: '/k', context: 'ctx' },
    injectNamespaces: [],
    timeoutSeconds: 60,
    chartsDir: '/charts',
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

  it('accepted: every release rendered once, one after another in plan order', async () => {
    const plan = helmPlan('demo');
    const { run, calls } = fakeHelm({});
    expect(await checkHelmValues(plan, 'helm', resolve, run)).toEqual({ kind: 'accepted' });
    expect(calls.map((c) => c[1])).toEqual(['istio-base', 'istiod', 'istio-ingressgateway', 'istio-egressgateway']);
    expect(calls[1]).toContain('/tmp/x/istiod.values.yaml');
  });

  it("a chart's refusal is the verdict, naming the release, in helm's words; later releases are not rendered", async () => {
    const { run, calls } = fakeHelm({ istiod: { exitCode: 1, stdout: '', stderr: refusal } });
    expect(await checkHelmValues(helmPlan('demo'), 'helm', resolve, run)).toEqual({
      kind: 'rejected',
      release: 'istiod',
      complaint: 'execution error at (istiod/templates/zzz_profile.yaml:31:3): unknown profile nope',
    });
    expect(calls).toHaveLength(2);
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
