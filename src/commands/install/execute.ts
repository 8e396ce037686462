import type { GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, type KubeGateway } from '../../adapters/kube.js';
import { runChecked, runProcess, type Runner } from '../../adapters/process.js';
import { withRenderedFiles } from '../../adapters/tempfiles.js';
import { CliError, ExitCode } from '../../errors.js';
import { getNamespace, patchNamespaceLabels, writeRecord } from '../../install/cluster.js';
import { sha256 } from '../../plan/install.js';
import type { InstallRecord } from '../../plan/record.js';
import type { KubeTarget, Plan, PlanStep } from '../../plan/types.js';
import type { Profile } from '../../profiles/schema.js';
import { createProgress } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { expectedWorkloads, formatWorkload } from '../../render/workloads.js';
import { waitForRollout } from '../../wait/rollout.js';
import { MESH_VERSION } from '../../version.js';
import { preflight } from './preflight.js';
import type { InstallOptions } from './run.js';

interface StepOutcome {
  id: PlanStep['id'];
  description: string;
  status: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  detail?: string;
}

export interface ExecuteInput {
  plan: Plan;
  profile: Profile;
  options: InstallOptions;
  globals: GlobalOptions;
  output: string;
  target: KubeTarget;
  run?: Runner;
  kube?: KubeGateway;
}

/** Runs an install plan step by step, saying what each step did; returns the exit code. */
export async function executeInstall(input: ExecuteInput): Promise<number> {
  const { plan, profile, options, globals, output } = input;
  const json = output === 'json';
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  const run = input.run ?? runProcess;
  const outcomes: StepOutcome[] = [];
  const started = Date.now();
  const finish = (success: boolean, error?: CliError, record?: InstallRecord) => {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ schemaVersion: 1, kind: 'InstallResult', success, backend: plan.backend, profile: plan.profile, istioNamespace: plan.istioNamespace, durationMs: Date.now() - started, steps: outcomes, ...(error ? { error: { message: error.message, hint: error.hint, exitCode: error.exitCode } } : {}), ...(record ? { record } : {}) }, null, 2)}\n`,
      );
  };
  const timed = async <T>(step: PlanStep, text: string, body: (h: Awaited<ReturnType<typeof progress.step>>) => Promise<T>, done?: (value: T) => string): Promise<T> => {
    const handle = await progress.step(text);
    const t0 = Date.now();
    try {
      const value = await body(handle);
      const detail = done?.(value);
      handle.succeed(detail ? `${text}: ${detail}` : text);
      outcomes.push({ id: step.id, description: step.description, status: 'ok', durationMs: Date.now() - t0, ...(detail ? { detail } : {}) });
      return value;
    } catch (error) {
      handle.fail(`${text}: ${error instanceof Error ? error.message : String(error)}`);
      outcomes.push({ id: step.id, description: step.description, status: 'failed', durationMs: Date.now() - t0, detail: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };

  let changed = false;
  try {
    const kube = input.kube ?? (await createKubeGateway(input.target));
    const touched = [...new Set(plan.steps.flatMap((s) => (s.id === 'apply' && s.namespace ? [s.namespace] : [])).concat(plan.istioNamespace, expectedWorkloads(profile, plan.istioNamespace).map((w) => w.namespace)))];
    const [preflightStep, ...rest] = plan.steps;
    const facts = await timed(preflightStep!, 'preflight', (handle) =>
      preflight({ plan, kube, run, tools: { istioctl: options.istioctl, helm: options.helm }, namespacesTouched: touched, injectNamespaces: options.injectNamespace, chartVersion: options.chartVersion, handle }),
    );
    const labelled: InstallRecord['labelledNamespaces'] = [...(facts.existing?.labelledNamespaces ?? [])];
    const releases: InstallRecord['releases'] = [];
    await withRenderedFiles(plan.files, async (resolveArgv) => {
      for (const step of rest) {
        if (step.id === 'apply') {
          const tool = step.tool === 'istioctl' ? options.istioctl : step.tool === 'helm' ? options.helm : 'kubectl';
          const argv = resolveArgv(step.argv);
          if (globals.verbose) progress.note(`$ ${[tool, ...argv].join(' ')}`);
          changed = true;
          await timed(step, step.description, () => runChecked(run, tool, argv));
          if (step.tool === 'helm' && step.release && step.namespace) releases.push({ release: step.release, namespace: step.namespace, chart: step.chart ?? '' });
        } else if (step.id === 'wait') {
          await timed(step, `wait for ${step.for.length} workload(s) to be ready`, async (handle) => {
            const result = await waitForRollout(kube, expectedWorkloads(profile, plan.istioNamespace), step.timeoutSeconds);
            if (!result.ready) {
              for (const n of result.notReady) {
                handle.info(`${n.workload}: ${n.status}`);
                for (const p of n.pods) handle.info(`  pod ${p.name}: ${p.problem}`);
              }
              const first = result.notReady[0]!;
              const why = first.pods[0] ? `pod ${first.pods[0].name} ${first.pods[0].problem}` : first.status;
              throw new CliError(`not ready after ${step.timeoutSeconds}s: ${first.workload} (${why})`, ExitCode.verifyFailed, 'fix the cause above, then re-run install (it converges) or raise --timeout');
            }
            return result;
          }, (r) => `all ready in ${(r.elapsedMs / 1000).toFixed(1)}s`);
        } else if (step.id === 'label') {
          await timed(step, step.description, async () => {
            const ns = await getNamespace(kube, step.namespace);
            const current = ns?.metadata?.labels ?? {};
            const toSet = Object.fromEntries(Object.entries(step.set ?? {}).filter(([k, v]) => current[k] !== v));
            if (!Object.keys(toSet).length) return 'already labelled';
            await patchNamespaceLabels(kube, step.namespace, toSet);
            const previous = Object.fromEntries(Object.keys(toSet).filter((k) => current[k] !== undefined).map((k) => [k, current[k]!]));
            const prior = labelled.find((l) => l.namespace === step.namespace);
            if (prior) prior.labels = { ...prior.labels, ...toSet };
            else labelled.push({ namespace: step.namespace, labels: toSet, ...(Object.keys(previous).length ? { previous } : {}) });
            return `set ${Object.entries(toSet).map(([k, v]) => `${k}=${v}`).join(', ')}`;
          }, (d) => d);
        } else if (step.id === 'record') {
          const record: InstallRecord = {
            schemaVersion: 1,
            meshVersion: MESH_VERSION,
            backend: plan.backend,
            profile: profile.name,
            istioProfile: profile.istioProfile,
            revision: plan.revision,
            istioNamespace: plan.istioNamespace,
            overlays: options.filename ?? [],
            sets: options.set ?? [],
            specSha256: sha256(Object.values(plan.files).join('\n---\n')),
            toolVersions: { ...facts.toolVersions, kubernetes: facts.kubernetesVersion },
            releases: plan.backend === 'helm' ? mergeReleases(facts.existing?.releases ?? [], releases) : [],
            workloads: expectedWorkloads(profile, plan.istioNamespace).map(formatWorkload),
            labelledNamespaces: labelled,
            createdNamespaces: [...new Set([...(facts.existing?.createdNamespaces ?? []), ...facts.missingNamespaces])],
            ...(plan.backend === 'istioctl' ? { renderedSpec: plan.files['istio-operator.yaml'] } : {}),
            installedAt: new Date().toISOString(),
          };
          await timed(step, step.description, () => writeRecord(kube, record, facts.existingConfigMap));
          finish(true, undefined, record);
        }
      }
    });
    if (!json) progress.note(`installed profile ${profile.name} with ${plan.backend} into ${plan.istioNamespace} in ${((Date.now() - started) / 1000).toFixed(1)}s; check it with \`mesh verify\``);
    return ExitCode.ok;
  } catch (error) {
    const cli = error instanceof CliError ? error : new CliError(error instanceof Error ? error.message : String(error), ExitCode.unexpected);
    finish(false, cli);
    if (changed && !json) progress.note('the cluster was partly changed: re-run the same install to converge, or `mesh uninstall` to remove it');
    throw cli;
  }
}

function mergeReleases(previous: InstallRecord['releases'], now: InstallRecord['releases']): InstallRecord['releases'] {
  const out = [...previous];
  for (const r of now) if (!out.some((p) => p.release === r.release && p.namespace === r.namespace)) out.push(r);
  return out;
}
