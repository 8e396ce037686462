import { hostname } from 'node:os';
import type { GlobalOptions } from '../../cli/options.js';
import { IstioctlMemo } from '../../adapters/istioctl-memo.js';
import { onInterrupt } from '../../adapters/cleanup.js';
import { createKubeGateway, type KubeGateway, type KubeTarget } from '../../adapters/kube.js';
import { runLazily } from '../../adapters/run-lazily.js';
import { ToolFailedError, type Runner } from '../../adapters/tool-run.js';
import { istioctlVersion } from '../../adapters/tools.js';
import { sweepStaleRuns } from '../../adapters/tempfiles.js';
import { CliError, ExitCode } from '../../errors.js';
import { ensureNamespace, getNamespace, patchNamespaceLabels, readRecord, writeRecord } from '../../install/cluster.js';
import { acquireLock, heldBy, lockIdentity, type Lock } from '../../install/lock.js';
import { sha256 } from '../../plan/install.js';
import { newRecord, type InstallRecord } from '../../plan/record.js';
import { adoptionPatch, CRDS_PATH, crdOwnership } from '../../install/crd-ownership.js';
import { toYaml } from '../../profiles/load.js';
import { renderIstioOperator } from '../../render/istioctl.js';
import type { Plan, PlanStep } from '../../plan/types.js';
import type { Profile } from '../../profiles/schema.js';
import { createProgress, createStepRunner, type Progress, type StepRunner } from '../../report/progress.js';
import { planToJson, planToText } from '../../plan/format.js';
import { outputStyle } from '../../report/style.js';
import { formatWorkload, type InstallContents } from '../../render/workloads.js';
import { watchRollout, type RolloutWatch } from '../../wait/rollout.js';
import { MESH_VERSION } from '../../version.js';
import { judgeExisting, preflight, type PreflightFacts } from './preflight.js';
import type { HeldInstall } from './held-install.js';
import { applyArgv, type ValuesVerdict } from './helm-values-check.js';
import { heldState, type HeldRelease } from './held-helm-release.js';
import type { HelmMemo } from '../../adapters/helm-memo.js';
import type { InstallOptions } from './options.js';

/** The base chart's defaultRevision a helm plan renders: the user's values.defaultRevision, else the chart's `default`. */
function baseDefaultRevision(plan: Plan, profile: Profile): string | undefined {
  if (!plan.steps.some((s) => s.id === 'apply' && s.tool === 'helm' && s.chart === 'base')) return undefined;
  const values = profile.spec.values as { defaultRevision?: unknown } | undefined;
  return typeof values?.defaultRevision === 'string' ? values.defaultRevision : 'default';
}

/**
 * The held helm run of this apply step, if it is held after its render and nothing may have
 * changed since it read the cluster; else undefined, and a held one is stopped (it changed nothing).
 */
async function heldReleaseToAnswer(
  heldRelease: HeldRelease | undefined,
  step: PlanStep,
  stale: boolean,
): Promise<HeldRelease['run'] | undefined> {
  if (!heldRelease || step.id !== 'apply' || step.tool !== 'helm' || step.release !== heldRelease.release) return undefined;
  const state = await heldState(heldRelease).catch(() => undefined);
  if (state?.rendered && !stale) return heldRelease.run;
  await heldRelease.run.cancel();
  return undefined;
}

/** How istioctl says its own readiness wait ran out. */
const ISTIOCTL_NOT_READY = /resources not ready after|failed to wait for resource/;

export interface ExecuteInput {
  plan: Plan;
  profile: Profile;
  contents: InstallContents;
  options: InstallOptions;
  globals: GlobalOptions;
  output: string;
  target: KubeTarget;
  lockWaitSeconds: number;
  /** The Istio version of the charts the helm backend installs from the cache, when they come from there. */
  chartsVersion?: string;
  /** Swaps the plan's `<rendered:NAME>` placeholders for the files' paths (withRenderedFiles). */
  resolveArgv: (argv: string[]) => string[];
  /** The plan's istioctl install, started already and holding at its prompt (holdApply). */
  held?: HeldInstall;
  /** The plan's first helm release, started already and held after its render (holdFirstRelease). */
  heldRelease?: HeldRelease;
  /** What this helm answered before. */
  helmMemo?: HelmMemo;
  /** helm's render of each release with the plan's values, started already (checkHelmValues). */
  valuesChecked?: Promise<ValuesVerdict>;
  run?: Runner;
  kube?: KubeGateway;
}

/** Removes what killed mesh runs left in the temp dir, saying so (their istioctl included); whether it stopped a tool. */
function sweep(progress: Progress): boolean {
  let stopped = false;
  for (const s of sweepStaleRuns()) {
    stopped ||= s.stopped.length > 0;
    progress.note(
      `removed the private files of an interrupted mesh run (pid ${s.deadPid})` +
        (s.stopped.length ? ` and stopped the tool it had started (pid ${s.stopped.join(', ')})` : ''),
    );
  }
  return stopped;
}

/** The plan's first step: every check install makes before it changes anything (preflight.ts). */
function runPreflight(input: ExecuteInput, kube: KubeGateway, steps: StepRunner, run: Runner, memo: IstioctlMemo): Promise<PreflightFacts> {
  const { plan, profile, options, held } = input;
  const touched = [...new Set(plan.steps.flatMap((s) => ((s.id === 'namespace' || s.id === 'apply') && s.namespace ? [s.namespace] : [])))];
  return steps.run(plan.steps[0], 'preflight', (handle) =>
    preflight({
      plan,
      kube,
      run,
      tools: { istioctl: options.istioctl, helm: options.helm },
      namespacesTouched: touched,
      injectNamespaces: options.injectNamespace,
      chartVersion: options.chartVersion ?? input.chartsVersion,
      waitingForLockAllowed: input.lockWaitSeconds > 0,
      handle,
      memo,
      helmMemo: input.helmMemo,
      held,
      valuesChecked: input.valuesChecked,
      baseDefaultRevision: baseDefaultRevision(plan, profile),
    }),
  );
}

/**
 * `install --dry-run=server`: the checks install makes before a change, against the cluster and
 * with istioctl's verdict on the spec (its install, held at the prompt, is never answered), then
 * the plan. A failed check ends as it would end the install, with its exit code; nothing changes.
 */
export async function checkInstall(input: ExecuteInput): Promise<number> {
  const { plan, globals, output } = input;
  const json = output === 'json';
  const steps = createStepRunner(createProgress(outputStyle({ color: globals.color, machine: json })));
  const kube = input.kube ?? (await createKubeGateway(input.target));
  const facts = await runPreflight(input, kube, steps, input.run ?? runLazily, new IstioctlMemo());
  const checked = {
    context: kube.context,
    kubernetesVersion: facts.kubernetesVersion,
    toolVersions: facts.toolVersions,
    existingInstall: facts.existing !== undefined,
    missingNamespaces: facts.missingNamespaces,
  };
  process.stdout.write(
    json
      ? planToJson(plan, { preflight: { passed: true, ...checked } })
      : planToText(plan, `dry run (server): the checks before a change passed in context ${kube.context}; nothing was changed`),
  );
  return ExitCode.ok;
}

/** Runs an install plan step by step, saying what each step did; returns the exit code. */
export async function executeInstall(input: ExecuteInput): Promise<number> {
  const { plan, profile, contents, options, globals, output, resolveArgv, held } = input;
  const json = output === 'json';
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  const steps = createStepRunner(progress);
  const run = input.run ?? runLazily;
  const started = Date.now();
  let record: InstallRecord | undefined;
  let lock: Lock | undefined;
  let releaseOnInterrupt: (() => void) | undefined;
  const finish = (error?: CliError) => {
    if (!json) return;
    const result = {
      schemaVersion: 1,
      kind: 'InstallResult',
      success: !error,
      backend: plan.backend,
      profile: plan.profile,
      istioNamespace: plan.istioNamespace,
      durationMs: Date.now() - started,
      steps: steps.outcomes,
      ...(error ? { error: { message: error.message, hint: error.hint, exitCode: error.exitCode } } : {}),
      ...(record ? { record } : {}),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  };

  let changed = false;
  let applyNotReady = false;
  let saveRecord: (() => Promise<unknown>) | undefined;
  let rollout: RolloutWatch | undefined;
  // The held helm read the cluster before the lock was taken: if another run may have changed it
  // since (a dead run's tool stopped, the lock waited for or taken over), its apply runs afresh.
  let heldReleaseStale = false;
  try {
    heldReleaseStale = sweep(progress);
    if (held && globals.verbose) progress.note(`$ ${held.commandLine} (held at its prompt until the install is recorded)`);
    const kube = input.kube ?? (await createKubeGateway(input.target));
    const [, ...rest] = plan.steps;
    const memo = new IstioctlMemo();
    let facts = await runPreflight(input, kube, steps, run, memo);
    let stored = facts.existingConfigMap;
    saveRecord = async () => (stored = await writeRecord(kube, record!, stored));
    // The rollout is watched from the first apply on, so the wait after it judges a current copy at once.
    const waitStep = plan.steps.find((w) => w.id === 'wait');
    const watchOnce = (timeoutSeconds: number) => (rollout ??= watchRollout(kube, contents.workloads, timeoutSeconds));
    const runStep = async (s: PlanStep): Promise<void> => {
      if (s.id === 'namespace') {
        await steps.run(
          s,
          s.description,
          async () => {
            const created = await ensureNamespace(kube, s.namespace);
            changed ||= created;
            return created ? 'created' : 'exists';
          },
          (d) => d,
        );
      } else if (s.id === 'lock') {
        await steps.run(
          s,
          s.description,
          async (handle) => {
            lock = await acquireLock(kube, plan.istioNamespace, {
              identity: lockIdentity('install'),
              waitSeconds: input.lockWaitSeconds,
              onWait: (h) => ((heldReleaseStale = true), handle.info(`waiting for ${heldBy(h)}`)),
              onTakeOver: (h) => (
                (heldReleaseStale = true),
                handle.info(`warning: took over the expired lock of ${heldBy(h)} (last renewed ${h.renewed})`)
              ),
            });
            const held = lock;
            releaseOnInterrupt = onInterrupt(() => held.release());
            // Another run may have finished while we waited: judge the install as it is now.
            const now = await readRecord(kube, plan.istioNamespace, plan.revision);
            facts = { ...facts, existing: now.record, existingConfigMap: now.configMap };
            stored = now.configMap;
            judgeExisting(plan, now.record, handle);
          },
          () => 'held',
        );
      } else if (s.id === 'record' && s.action === 'write') {
        record = newRecord(
          plan,
          {
            profile: profile.name,
            istioProfile: profile.istioProfile,
            overlays: options.filename ?? [],
            sets: options.set ?? [],
            workloads: contents.workloads.map(formatWorkload),
            specSha256: sha256(Object.values(plan.files).join('\n---\n')),
            meshVersion: MESH_VERSION,
            runner: { pid: process.pid, host: hostname() },
            intentSpec: toYaml(renderIstioOperator(profile)),
          },
          facts,
        );
        await steps.run(s, `record the install in ConfigMap ${s.configMap}`, saveRecord!);
        changed = true;
      } else if (s.id === 'apply') {
        const tool = s.tool === 'istioctl' ? options.istioctl : s.tool === 'helm' ? options.helm : 'kubectl';
        if (waitStep?.id === 'wait') watchOnce(waitStep.timeoutSeconds);
        // A repository chart the values check downloaded is installed from that archive.
        const argv = resolveArgv(await applyArgv(s, input.valuesChecked));
        const heldHelm = await heldReleaseToAnswer(input.heldRelease, s, heldReleaseStale);
        if (globals.verbose && heldHelm)
          progress.note(`$ ${heldHelm.commandLine} (started before preflight, held after its render until now)`);
        else if (globals.verbose && !(s.heldAtPrompt && held)) progress.note(`$ ${[tool, ...argv].join(' ')}`);
        await steps.run(s, s.description, async (handle) => {
          // A step held at its prompt is answered: by the istioctl waiting there, else on a fresh one's
          // input; the helm release held after its render is let go on.
          const waiting = heldHelm ?? (s.heldAtPrompt ? held : undefined);
          const applied = waiting ? waiting.proceed() : s.heldAtPrompt ? run(tool, argv, { input: 'y\n' }) : run(tool, argv);
          // istioctl's exact version for the record (see preflight), asked once istioctl waits for
          // readiness, so that its process takes CPU that istioctl's apply and the API server do
          // not use (else once istioctl is done).
          const versionAsked = facts.istioctlVersionDeferred
            ? (held?.waiting() ?? applied).then(() => istioctlVersion(run, options.istioctl, memo)).catch(() => undefined)
            : undefined;
          const result = await applied;
          const version = await versionAsked;
          if (versionAsked && record) record.toolVersions.istioctl = version ?? 'unknown';
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
      } else if (s.id === 'adopt-crds') {
        await steps.run(
          s,
          s.description,
          async () => {
            const release = { name: s.release, namespace: s.namespace };
            const { orphans } = crdOwnership((await kube.listMetadata(CRDS_PATH)).items, release);
            for (const name of orphans)
              await kube.request('PATCH', `${CRDS_PATH}/${name}`, adoptionPatch(release), 'application/merge-patch+json');
            if (orphans.length) changed = true;
            return orphans.length
              ? `adopted ${orphans.length} CRDs (${orphans.slice(0, 3).join(', ')}${orphans.length > 3 ? ', ...' : ''})`
              : 'none to adopt';
          },
          (d) => d,
        );
      } else if (s.id === 'wait') {
        await steps.run(
          s,
          `wait for ${s.for.length} workload(s) to be ready`,
          async (handle) => {
            const watch = watchOnce(s.timeoutSeconds);
            const result = await watch.until(applyNotReady ? 1 : s.timeoutSeconds);
            // Judged: its watches close while the record is written, not after.
            watch.stop();
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
        await steps.run(
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
            await saveRecord!();
            await patchNamespaceLabels(kube, s.namespace, toSet);
            return `set ${Object.entries(toSet)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`;
          },
          (d) => d,
        );
      } else if (s.id === 'record' && s.action === 'complete') {
        record!.status = 'installed';
        delete record!.error;
        await steps.run(s, s.description, saveRecord!);
      }
    };
    for (const s of rest) await runStep(s);

    if (lock?.lost) progress.note(`warning: the install lock could not be renewed (${lock.lost}); another run may have started meanwhile`);
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
    if (record && record.status === 'installing' && saveRecord) {
      // The record says how it ended, so `mesh status` and verify show a failed install, not a pending one.
      record.status = 'failed';
      record.error = cli.message;
      await saveRecord().catch(() => undefined);
    }
    finish(cli);
    if (changed && !json)
      progress.note('the cluster was partly changed: re-run the same install to converge, or `mesh uninstall` to remove what was done');
    throw cli;
  } finally {
    rollout?.stop();
    releaseOnInterrupt?.();
    await lock?.release().catch(() => undefined);
  }
}
