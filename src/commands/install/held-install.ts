import { startHeld } from '../../adapters/held-process.js';
import { ToolFailedError, type RunResult, type Runner } from '../../adapters/tool-run.js';
import type { Plan } from '../../plan/types.js';
import { istioctlComplaint, istioctlRejects } from '../../adapters/tools.js';

/** How `istioctl install` without -y asks before it changes anything. */
const PROCEED_PROMPT = /Proceed\? \(y\/N\)\s*$/;
/** istioctl's progress line once its resources are applied and it waits for them (operator/pkg/util/progress). */
const WAITING = /Processing resources for .*\. Waiting for /;
/** How install wraps a spec it cannot render or validate; `manifest generate` says the rest alone. */
const GENERATE_FAILED = /^generate config:\s*/;

/** How the prompt names the Istio version istioctl installs ("This will install the Istio 1.31.0 profile ..."). */
const PROMPT_VERSION = /install the Istio (\d+\.\d+\S*) profile/;

/**
 * istioctl's verdict on the spec mesh rendered. Accepted at its prompt, it carries the Istio
 * version the prompt names: istioctl's own, normalised to major.minor.patch (a `1.30-dev` build
 * says 1.30.0, a release candidate loses its suffix), so good for comparing minors, not for a record.
 */
export type SpecVerdict =
  { kind: 'accepted'; promptVersion?: string } | { kind: 'rejected'; complaint: string } | { kind: 'failed'; error: Error };

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
  /**
   * After proceed(): true once istioctl reports that it waits for the workloads to be ready (its
   * progress line "Processing resources for Istiod. Waiting for Deployment/..."), false if it ends
   * first. From then on istioctl mostly sleeps between polls, and the machine's CPU is free.
   */
  waiting(): Promise<boolean>;
  /** Stops istioctl unanswered (nothing was changed by it). */
  cancel(): Promise<void>;
}

function accepted(prompt: string): SpecVerdict {
  const version = PROMPT_VERSION.exec(prompt)?.[1];
  return version ? { kind: 'accepted', promptVersion: version } : { kind: 'accepted' };
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
    (state) => (state.prompted ? accepted(state.prompt) : judgeExit(state.result)),
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
    waiting: () => held.heard(WAITING),
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
