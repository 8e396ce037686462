import { ToolFailedError, type Runner } from '../../adapters/tool-run.js';
import type { HelmMemo } from '../../adapters/helm-memo.js';
import type { Plan, PlanStep } from '../../plan/types.js';

/**
 * helm's verdict on the values mesh rendered: what istioctl's held install is for the istioctl
 * backend. helm renders a chart only at `helm upgrade`, after mesh has created namespaces, taken
 * the lock, recorded the install and applied the releases before it, so a value a chart refuses
 * (an unknown `profile`, a template's `fail`) would stop the install half done. `helm template` of
 * each release with the same chart and values file says so before anything changes.
 */
export type ValuesVerdict =
  { kind: 'accepted' } | { kind: 'rejected'; release: string; complaint: string } | { kind: 'failed'; error: Error };

/** How helm says a chart refused its values: a template's fail, a type a template cannot use, YAML they made invalid, its schema. */
const VALUES_REFUSED = /execution error at|^template: |YAML parse error|values don't meet the specifications|wrong type for value/;

type ApplyStep = Extract<PlanStep, { id: 'apply' }>;

/** The apply's own command, rendering instead of installing: the same release, chart reference, namespace and values file. */
export function templateArgv(step: ApplyStep): string[] {
  const [verb, install, ...rest] = step.argv;
  if (verb !== 'upgrade' || install !== '--install') throw new Error(`not a helm upgrade --install step: ${step.argv.join(' ')}`);
  // Flags only upgrade knows: template would refuse them.
  return ['template', ...rest.filter((arg) => arg !== '--create-namespace' && arg !== '--reset-values')];
}

/** helm's complaint, without its "Error: " and its advice to use --debug. */
export function helmComplaint(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Use --debug flag/.test(line))
    .map((line) => line.replace(/^Error: /, ''))
    .join('; ');
}

/**
 * Renders every helm release of the plan at once (the base chart's megabyte of CRD templates,
 * 0.35-0.5 s, is the wait either way; the others need not queue behind it); the first refusal in
 * plan order is the verdict. undefined for a plan with no helm release. A release
 * the memo has seen helm accept with the same chart and values is not rendered again.
 */
export function checkHelmValues(
  plan: Plan,
  helm: string,
  resolveArgv: (argv: string[]) => string[],
  run: Runner,
  memo?: HelmMemo,
): Promise<ValuesVerdict> | undefined {
  const releases = plan.steps.filter((s): s is ApplyStep => s.id === 'apply' && s.tool === 'helm');
  if (!releases.length) return undefined;
  const rendered = releases.map(async (step): Promise<ValuesVerdict> => {
    const planned = templateArgv(step);
    // The command as planned (its values file named, not the temp path) and every rendered file's content.
    const known = memo?.lookup(helm, step.chartRef ?? [], JSON.stringify({ argv: planned, files: plan.files }));
    if (known?.accepted) return { kind: 'accepted' };
    const argv = resolveArgv(planned);
    const result = await run(helm, argv);
    if (result.exitCode === 0) {
      known?.remember();
      return { kind: 'accepted' };
    }
    const complaint = helmComplaint(result.stderr);
    if (VALUES_REFUSED.test(complaint)) return { kind: 'rejected', release: step.release ?? argv[1], complaint };
    return { kind: 'failed', error: new ToolFailedError('helm', argv, result) };
  });
  return Promise.all(rendered)
    .then((verdicts) => verdicts.find((v) => v.kind === 'rejected') ?? verdicts.find((v) => v.kind === 'failed') ?? verdicts[0])
    .catch((error: unknown): ValuesVerdict => ({ kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
}
