import type { GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, type KubeGateway, type KubeTarget } from '../../adapters/kube.js';
import { runProcess, ToolFailedError, type Runner } from '../../adapters/process.js';
import { withRenderedFiles } from '../../adapters/tempfiles.js';
import { CliError, ExitCode } from '../../errors.js';
import { ensureNamespace, getNamespace, patchNamespaceLabels, writeRecord } from '../../install/cluster.js';
import { sha256 } from '../../plan/install.js';
import type { InstallRecord } from '../../plan/record.js';
import type { Plan, PlanStep } from '../../plan/types.js';
import type { Profile } from '../../profiles/schema.js';
import { createProgress, type StepHandle } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { formatWorkload, type InstallContents } from '../../render/workloads.js';
import { waitForRollout } from '../../wait/rollout.js';
import { MESH_VERSION } from '../../version.js';
import { preflight, type PreflightFacts } from './preflight.js';
import type { InstallOptions } from './options.js';

/** How istioctl says its own readiness wait ran out. */
const ISTIOCTL_NOT_READY = /resources not ready after|failed to wait for resource/;

interface StepOutcome {
  id: PlanStep['id'];
  description: string;
  status: 'ok' | 'failed';
  durationMs: number;
  detail?: string;
}

export interface ExecuteInput {
  plan: Plan;
  profile: Profile;
  contents: InstallContents;
  options: InstallOptions;
  globals: GlobalOptions;
  output: string;
  target: KubeTarget;
  run?: Runner;
  kube?: KubeGateway;
}

function newRecord(plan: Plan, profile: Profile, contents: InstallContents, options: InstallOptions, facts: PreflightFacts): InstallRecord {
  const previous = facts.existing;
  return {
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
    // Releases of an earlier install stay listed, so a converge to a smaller profile can still undo them.
    releases: [
      ...(previous?.releases ?? []),
      ...plan.steps.flatMap((s) =>
        s.id === 'apply' && s.tool === 'helm' && s.release && s.namespace
          ? [{ release: s.release, namespace: s.namespace, chart: s.chart ?? '' }]
          : [],
      ),
    ].filter((r, i, all) => all.findIndex((o) => o.release === r.release && o.namespace === r.namespace) === i),
    workloads: contents.workloads.map(formatWorkload),
    labelledNamespaces: [...(previous?.labelledNamespaces ?? [])],
    createdNamespaces: [...new Set([...(previous?.createdNamespaces ?? []), ...facts.missingNamespaces])],
    ...(plan.backend === 'istioctl' ? { renderedSpec: plan.files['istio-operator.yaml'] } : {}),
    status: 'installing',
    installedAt: new Date().toISOString(),
  };
}

/** Runs an install plan step by step, saying what each step did; returns the exit code. */
export async function executeInstall(input: ExecuteInput): Promise<number> {
  const { plan, profile, contents, options, globals, output } = input;
  const json = output === 'json';
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  const run = input.run ?? runProcess;
  const outcomes: StepOutcome[] = [];
  const started = Date.now();
  let record: InstallRecord | undefined;
  const finish = (error?: CliError) => {
    if (json)
      process.stdout.write(
        `${JSON.stringify(
          {
            schemaVersion: 1,
            kind: 'InstallResult',
            success: !error,
            backend: plan.backend,
            profile: plan.profile,
            istioNamespace: plan.istioNamespace,
            durationMs: Date.now() - started,
            steps: outcomes,
            ...(error ? { error: { message: error.message, hint: error.hint, exitCode: error.exitCode } } : {}),
            ...(record ? { record } : {}),
          },
          null,
          2,
        )}\n`,
      );
  };
  /** Runs one step under a spinner/line; the body returns a detail string for the log and JSON. */
  const step = async <T>(
    s: PlanStep,
    text: string,
    body: (h: StepHandle) => Promise<T>,
    detail?: (value: T) => string | undefined,
  ): Promise<T> => {
    const handle = await progress.step(text);
    const t0 = Date.now();
    try {
      const value = await body(handle);
      const d = detail?.(value);
      handle.succeed(d ? `${text}: ${d}` : text);
      outcomes.push({ id: s.id, description: s.description, status: 'ok', durationMs: Date.now() - t0, ...(d ? { detail: d } : {}) });
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      handle.fail(`${text}: ${message}`);
      outcomes.push({ id: s.id, description: s.description, status: 'failed', durationMs: Date.now() - t0, detail: message });
      throw error;
    }
  };

  let changed = false;
  let applyNotReady = false;
  try {
    const kube = input.kube ?? (await createKubeGateway(input.target));
    const touched = [
      ...new Set(plan.steps.flatMap((s) => ((s.id === 'namespace' || s.id === 'apply') && s.namespace ? [s.namespace] : []))),
    ];
    const [first, ...rest] = plan.steps;
    const facts = await step(first, 'preflight', (handle) =>
      preflight({
        plan,
        kube,
        run,
        tools: { istioctl: options.istioctl, helm: options.helm },
        namespacesTouched: touched,
        injectNamespaces: options.injectNamespace,
        chartVersion: options.chartVersion,
        handle,
      }),
    );
    let stored = facts.existingConfigMap;
    const saveRecord = async () => (stored = await writeRecord(kube, record!, stored));
    await withRenderedFiles(plan.files, async (resolveArgv) => {
      for (const s of rest) {
        if (s.id === 'namespace') {
          await step(
            s,
            s.description,
            async () => {
              const created = await ensureNamespace(kube, s.namespace);
              changed ||= created;
              return created ? 'created' : 'exists';
            },
            (d) => d,
          );
        } else if (s.id === 'record' && s.action === 'write') {
          record = newRecord(plan, profile, contents, options, facts);
          await step(s, `record the install in ConfigMap ${s.configMap}`, saveRecord);
          changed = true;
        } else if (s.id === 'apply') {
          const tool = s.tool === 'istioctl' ? options.istioctl : s.tool === 'helm' ? options.helm : 'kubectl';
          const argv = resolveArgv(s.argv);
          if (globals.verbose) progress.note(`$ ${[tool, ...argv].join(' ')}`);
          await step(s, s.description, async (handle) => {
            const result = await run(tool, argv);
            if (result.exitCode === 0) return;
            // istioctl waits for readiness itself and gives up without saying why; mesh's own wait
            // names the pods and their reasons, so carry on to it and let it report.
            if (s.tool === 'istioctl' && ISTIOCTL_NOT_READY.test(result.stderr + result.stdout)) {
              applyNotReady = true;
              handle.info('istioctl: resources not ready before its deadline; looking at why');
              return;
            }
            throw new ToolFailedError(s.tool, argv, result);
          });
        } else if (s.id === 'wait') {
          await step(
            s,
            `wait for ${s.for.length} workload(s) to be ready`,
            async (handle) => {
              const result = await waitForRollout(kube, contents.workloads, applyNotReady ? 1 : s.timeoutSeconds);
              if (result.ready) return result;
              for (const n of result.notReady) {
                handle.info(`${n.workload}: ${n.status}`);
                for (const p of n.pods) handle.info(`  pod ${p.name}: ${p.problem}`);
              }
              const firstBad = result.notReady[0];
              const why = firstBad.pods[0] ? `pod ${firstBad.pods[0].name} ${firstBad.pods[0].problem}` : firstBad.status;
              throw new CliError(
                `not ready after ${s.timeoutSeconds}s: ${firstBad.workload} (${why})`,
                ExitCode.verifyFailed,
                'fix the cause above, then re-run install (it converges), or `mesh uninstall` to remove it',
              );
            },
            (r) => `all ready in ${(r.elapsedMs / 1000).toFixed(1)}s`,
          );
        } else if (s.id === 'label') {
          await step(
            s,
            s.description,
            async () => {
              const current = (await getNamespace(kube, s.namespace))?.metadata?.labels ?? {};
              const toSet = Object.fromEntries(Object.entries(s.set ?? {}).filter(([k, v]) => current[k] !== v));
              if (!Object.keys(toSet).length) return 'already labelled';
              const previous = Object.fromEntries(
                Object.keys(toSet)
                  .filter((k) => current[k] !== undefined)
                  .map((k) => [k, current[k]]),
              );
              // Record first: if labelling fails half-way, uninstall still knows to undo it.
              const entry = record!.labelledNamespaces.find((l) => l.namespace === s.namespace);
              if (entry) entry.labels = { ...entry.labels, ...toSet };
              else
                record!.labelledNamespaces.push({
                  namespace: s.namespace,
                  labels: toSet,
                  ...(Object.keys(previous).length ? { previous } : {}),
                });
              await saveRecord();
              await patchNamespaceLabels(kube, s.namespace, toSet);
              return `set ${Object.entries(toSet)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}`;
            },
            (d) => d,
          );
        } else if (s.id === 'record' && s.action === 'complete') {
          record!.status = 'installed';
          await step(s, s.description, saveRecord);
        }
      }
    });
    finish();
    if (!json)
      progress.note(
        `installed profile ${profile.name} with ${plan.backend} into ${plan.istioNamespace} ` +
          `in ${((Date.now() - started) / 1000).toFixed(1)}s; check it with \`mesh verify\``,
      );
    return ExitCode.ok;
  } catch (error) {
    const cli =
      error instanceof CliError ? error : new CliError(error instanceof Error ? error.message : String(error), ExitCode.unexpected);
    finish(cli);
    if (changed && !json)
      progress.note('the cluster was partly changed: re-run the same install to converge, or `mesh uninstall` to remove what was done');
    throw cli;
  }
}
