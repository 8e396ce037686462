import { startHeld } from '../../adapters/held-process.js';
import { ToolFailedError, type RunResult, type Runner } from '../../adapters/tool-run.js';
import type { Plan } from '../../plan/types.js';
import { istioctlComplaint, istioctlRejects } from '../../adapters/tools.js';

/** How `istioctl install` without -y asks before it changes anything. */
const PROCEED_PROMPT = /Proceed\? \(y\/N\)\s*$/;
/** How install wraps a spec it cannot render or validate; `manifest generate` says the rest alone. */
const GENERATE_FAILED = /^generate config:\s*/;

/** istioctl's verdict on the spec mesh rendered. */
export type SpecVerdict = { kind: 'accepted' } | { kind: 'rejected'; complaint: string } | { kind: 'failed'; error: Error };

/**
 * `istioctl install -f spec` started at preflight, before mesh changes anything. Before its prompt
 * istioctl only reads: it renders the spec and validates it against the cluster (its version, and
 * a CNI it cannot work beside, which an offline `manifest generate` never sees), then waits for
 * the answer. So its own render is the spec check, paid once, beside mesh's preflight reads; the
 * answer comes once the lock is held and the install recorded. Should mesh die first, istioctl
 * reads the end of its input as "no".
 */
export interface HeldInstall {
  /** The command line, for --verbose. */
  readonly commandLine: string;
  /** Accepted once istioctl prompts; rejected with its complaint, or failed, if it exits before. */
  verdict(): Promise<SpecVerdict>;
  /**
   * For an error path: the verdict if istioctl has given one; else istioctl is stopped and the
   * spec checked offline, so bad input is still named first without waiting for the cluster.
   */
  verdictNow(): Promise<SpecVerdict>;
  /** Answers yes: istioctl installs; its outcome. */
  proceed(): Promise<RunResult>;
  /** Stops istioctl unanswered (nothing was changed by it). */
  cancel(): Promise<void>;
}

export function holdInstall(run: Runner, istioctl: string, argv: string[], spec: string): HeldInstall {
  const held = startHeld(istioctl, argv, PROCEED_PROMPT);
  let given: SpecVerdict | undefined;
  let stopped = false;
  // istioctl exited before asking: its complaint about the spec, else (it never got to the spec,
  // say the cluster was unreachable) the offline check's, else its own failure.
  const judgeExit = async (result: RunResult): Promise<SpecVerdict> => {
    const failed: SpecVerdict = { kind: 'failed', error: new ToolFailedError('istioctl', argv, result) };
    if (stopped) return failed;
    const complaint = istioctlComplaint(result);
    if (GENERATE_FAILED.test(complaint)) return { kind: 'rejected', complaint: complaint.replace(GENERATE_FAILED, '') };
    const offline = await istioctlRejects(run, istioctl, spec).catch(() => undefined);
    return offline ? { kind: 'rejected', complaint: offline } : failed;
  };
  const verdict = held.reached.then(
    (state) => (state.prompted ? { kind: 'accepted' as const } : judgeExit(state.result)),
    (error: unknown): SpecVerdict => ({ kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
  );
  void verdict.then((v) => (given = v));
  return {
    commandLine: [istioctl, ...argv].join(' '),
    verdict: () => verdict,
    verdictNow: async () => {
      if (given) return given;
      stopped = true;
      await held.cancel();
      const complaint = await istioctlRejects(run, istioctl, spec).catch(() => undefined);
      return complaint ? { kind: 'rejected', complaint } : { kind: 'accepted' };
    },
    proceed: () => held.proceed(),
    cancel: () => ((stopped = true), held.cancel()),
  };
}

/** Starts the plan's istioctl install held at its prompt, if the plan has one. */
export function holdApply(plan: Plan, istioctl: string, resolveArgv: (argv: string[]) => string[], run: Runner): HeldInstall | undefined {
  const step = plan.steps.find((s) => s.id === 'apply' && s.heldAtPrompt);
  const spec = plan.files['istio-operator.yaml'];
  if (step?.id !== 'apply' || spec === undefined) return undefined;
  return holdInstall(run, istioctl, resolveArgv(step.argv), spec);
}
