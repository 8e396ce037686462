import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ToolFailedError, type RunResult, type Runner } from '../../adapters/tool-run.js';
import { heldState, type HeldRelease } from './held-helm-release.js';
import type { HelmMemo } from '../../adapters/helm-memo.js';
import { renderGcEnv } from '../../adapters/go-env.js';
import type { Plan } from '../../plan/types.js';
import {
  downloadFailure,
  fromRepository,
  helmComplaint,
  templateArgv,
  withChartArchive,
  type ApplyStep,
} from '../../plan/helm-commands.js';

/**
 * helm's verdict on the values mesh rendered: what istioctl's held install is for the istioctl
 * backend. helm renders a chart only at `helm upgrade`, after mesh has created namespaces, taken
 * the lock, recorded the install and applied the releases before it, so a value a chart refuses
 * (an unknown `profile`, a template's `fail`) would stop the install half done. `helm template` of
 * each release with the same chart and values file says so before anything changes.
 */
export type ValuesVerdict =
  | { kind: 'accepted'; archives: Record<string, string> }
  | { kind: 'rejected'; release: string; complaint: string }
  /** helm could not download the release's chart from its repository; missing: the repository has no such chart or version. */
  | { kind: 'unfetchable'; release: string; chartRef: string[]; complaint: string; missing: boolean }
  | { kind: 'failed'; error: Error };

/** How helm says a chart refused its values: a template's fail, a type a template cannot use, YAML they made invalid, its schema. */
const VALUES_REFUSED = /execution error at|^template: |YAML parse error|values don't meet the specifications|wrong type for value/;

/** A render helm refused: the values (a chart's complaint about them), else helm's own failure. */
function judgeRender(release: string, argv: string[], result: RunResult): ValuesVerdict {
  const complaint = helmComplaint(result.stderr);
  if (VALUES_REFUSED.test(complaint)) return { kind: 'rejected', release, complaint };
  return { kind: 'failed', error: new ToolFailedError('helm', argv, result) };
}

/**
 * The apply's argv for a helm release: the chart archive the values check rendered, when it
 * downloaded one, so that helm installs exactly the chart it judged and downloads it once.
 */
export async function applyArgv(step: ApplyStep, checked: Promise<ValuesVerdict> | undefined): Promise<string[]> {
  if (step.tool !== 'helm' || !step.chartRef || !step.release) return step.argv;
  const verdict = await checked;
  const archive = verdict?.kind === 'accepted' ? verdict.archives[step.release] : undefined;
  return archive ? withChartArchive(step.argv, step.chartRef, archive) : step.argv;
}

/**
 * Downloads a repository chart into `dir` (`helm pull`, the same reference the apply names), so
 * that the render and the apply both read this one archive: helm downloads a `--repo` chart (the
 * repository's index, then the archive) at every use, and an unpinned version could move between
 * the two. The archive's path, or helm's complaint.
 */
async function pullChart(helm: string, step: ApplyStep, dir: string, run: Runner): Promise<{ archive: string } | { complaint: string }> {
  const destination = join(dir, 'charts', step.release ?? 'chart');
  // Synchronously: an fs promise settles only once the main thread is free, and it is busy loading
  // the change's modules meanwhile (run.ts), which held helm's start back by about 0.1 s.
  mkdirSync(destination, { recursive: true, mode: 0o700 });
  const result = await run(helm, ['pull', ...step.chartRef!, '--destination', destination]);
  if (result.exitCode !== 0) return { complaint: helmComplaint(result.stderr || result.stdout) };
  const [archive] = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  return archive ? { archive: join(destination, archive) } : { complaint: `helm pull wrote no chart archive into ${destination}` };
}

/**
 * Renders every helm release of the plan at once (the base chart's megabyte of CRD templates,
 * 0.35-0.5 s, is the wait either way; the others need not queue behind it); the first refusal in
 * plan order is the verdict. undefined for a plan with no helm release. A release
 * the memo has seen helm accept with the same chart and values is not rendered again. A chart
 * from a repository is downloaded once into `downloads` (a private directory) and rendered from
 * there; the accepted verdict names the archives, which the apply installs (applyArgv). The
 * release held after its render (held-helm-release.ts) is judged by that render instead.
 */
export function checkHelmValues(
  plan: Plan,
  helm: string,
  resolveArgv: (argv: string[]) => string[],
  run: Runner,
  memo?: HelmMemo,
  downloads?: string,
  held?: HeldRelease,
): Promise<ValuesVerdict> | undefined {
  const releases = plan.steps.filter((s): s is ApplyStep => s.id === 'apply' && s.tool === 'helm');
  if (!releases.length) return undefined;
  const archives: Record<string, string> = {};
  const rendered = releases.map(async (step): Promise<ValuesVerdict> => {
    if (held && step.release === held.release) {
      // The held apply's own render is this release's check, unless this helm cannot hold.
      const state = await heldState(held);
      if (state.rendered) return { kind: 'accepted', archives };
      if (!('unsupported' in state)) return judgeRender(step.release, held.run.argv, state.result);
    }
    const planned = templateArgv(step);
    const chartRef = step.chartRef ?? [];
    // The command as planned (its values file named, not the temp path) and every rendered file's content.
    const known = memo?.lookup(helm, chartRef, JSON.stringify({ argv: planned, files: plan.files }));
    if (known?.accepted) return { kind: 'accepted', archives };
    let argv = resolveArgv(planned);
    if (downloads && fromRepository(chartRef)) {
      const pulled = await pullChart(helm, step, downloads, run);
      if ('complaint' in pulled) {
        const { complaint } = pulled;
        return {
          kind: 'unfetchable',
          release: step.release ?? chartRef[0],
          chartRef,
          complaint,
          missing: downloadFailure(chartRef, complaint)?.missing === true,
        };
      }
      argv = withChartArchive(argv, chartRef, pulled.archive);
      archives[step.release ?? chartRef[0]] = pulled.archive;
    }
    const result = await run(helm, argv, { env: renderGcEnv() });
    if (result.exitCode === 0) {
      known?.remember();
      return { kind: 'accepted', archives };
    }
    return judgeRender(step.release ?? argv[1], argv, result);
  });
  const order: ValuesVerdict['kind'][] = ['unfetchable', 'rejected', 'failed'];
  return Promise.all(rendered)
    .then((verdicts) => order.map((kind) => verdicts.find((v) => v.kind === kind)).find(Boolean) ?? verdicts[0])
    .catch((error: unknown): ValuesVerdict => ({ kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
}
