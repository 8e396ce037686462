import { readdirSync, statSync } from 'node:fs';
import { holdFlags, holdSocketPath, startHeldHelm, type HeldHelmRun, type HeldHelmState } from '../../adapters/held-helm.js';
import type { HelmMemo } from '../../adapters/helm-memo.js';
import { fromRepository, type ApplyStep } from '../../plan/helm-commands.js';
import type { Plan } from '../../plan/types.js';

/**
 * The plan's first helm release, its `helm upgrade --install` started before mesh's preflight and
 * held after its render (adapters/held-helm.ts): the apply of a first install's base chart
 * otherwise waited for a `helm template` of the same chart (its megabyte of CRDs, 0.35 s of CPU)
 * and then rendered it again. Its render is that release's values check; the apply answers it.
 */
export interface HeldRelease {
  readonly release: string;
  readonly run: HeldHelmRun;
}

/** How a helm without exec post-renderers refuses the flags: Helm 4 takes plugins only, Helm 3 before 3.7 had no --post-renderer-args. */
const HOLD_UNSUPPORTED = /--post-renderer/;

/**
 * Starts the plan's first helm release held, when helm writes nothing before that hold: a local
 * chart directory without CRDs of its own (helm installs a chart's `crds/` before it renders), and
 * a helm known to take an exec post-renderer (Helm 3.7+), or not known yet (tried; a refusal
 * falls back to `helm template` and a fresh apply). undefined: the release is checked and applied
 * as before.
 */
export function holdFirstRelease(
  plan: Plan,
  helm: string,
  resolveArgv: (argv: string[]) => string[],
  privateDir: string | undefined,
  memo: HelmMemo,
): HeldRelease | undefined {
  const step = plan.steps.find((s): s is ApplyStep => s.id === 'apply' && s.tool === 'helm');
  if (!step?.release || !step.chartRef || !privateDir) return undefined;
  if (!writesNothingBeforeRender(step.chartRef) || !takesExecPostRenderer(memo.version(helm))) return undefined;
  const socket = holdSocketPath(privateDir);
  if (!socket) return undefined;
  return { release: step.release, run: startHeldHelm(helm, [...resolveArgv(step.argv), ...holdFlags(socket)], socket) };
}

/**
 * Where the held helm stands; a helm that refused the hold's flags, or a hold mesh could not set up,
 * reads as `unsupported`: the release is then checked and applied as if never held.
 */
export async function heldState(
  held: HeldRelease,
): Promise<Exclude<HeldHelmState, { unheld: string }> | { rendered: false; unsupported: true }> {
  const state = await held.run.reached;
  if (state.rendered) return state;
  return 'unheld' in state || HOLD_UNSUPPORTED.test(state.result.stderr) ? { rendered: false, unsupported: true } : state;
}

/**
 * Whether helm reaches its post-renderer before it writes: a chart directory (a repository chart is
 * downloaded first, and checked as before) with no `crds/` in it or its subcharts, and no packed
 * subchart whose insides are unknown.
 */
export function writesNothingBeforeRender(chartRef: string[]): boolean {
  if (fromRepository(chartRef)) return false;
  const [dir] = chartRef;
  try {
    if (!statSync(dir).isDirectory()) return false;
    return !readdirSync(dir, { recursive: true, encoding: 'utf8' }).some(
      (entry) => /(^|\/)crds$/.test(entry) || /(^|\/)charts\/[^/]+\.tgz$/.test(entry),
    );
  } catch {
    return false;
  }
}

/** Helm 3.7 and later take an exec post-renderer with arguments; a helm not asked before is tried. */
export function takesExecPostRenderer(version: string | undefined): boolean {
  if (!version) return true;
  const [major, minor] = version.split('.').map(Number);
  return major === 3 && minor >= 7;
}
