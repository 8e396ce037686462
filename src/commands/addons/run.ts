import type { V1Deployment } from '@kubernetes/client-node';
import { checkOutput, istioNamespaceOf, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, KubeApiError, type KubeGateway } from '../../adapters/kube.js';
import { ObjectPaths, serverSideApply } from '../../adapters/kube-objects.js';
import { checkAddonNames, formatRef, parseAddon } from '../../addons/catalog.js';
import { ADDON_FILES, ADDON_NAMES } from '../../addons/names.js';
import { findReleaseDir, readAddonManifest, type ReleaseDir } from '../../addons/release.js';
import { CliError, ExitCode, preflightError } from '../../errors.js';
import { readRecord, requireRecord, updateRecord } from '../../install/cluster.js';
import { holdLockStep, type HeldLock } from '../../install/lock.js';
import { versionOfImage } from '../../istio/versions.js';
import {
  addonsPlanToText,
  buildAddonsInstallPlan,
  buildAddonsUninstallPlan,
  checkNoSharedObjects,
  rolloutsOf,
  type AddonToApply,
} from '../../plan/addons.js';
import type { InstallRecord, RecordedAddon } from '../../plan/record.js';
import { createProgress, createStepRunner } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { formatWorkload } from '../../render/workloads.js';
import { describeNotReady, waitForRollout } from '../../wait/rollout.js';
import { removeAddonObjects, volumeClaimsOf } from '../../addons/remove.js';
import type { AddonsOptions } from './options.js';

/** The field manager mesh applies under: `kubectl get -o yaml --show-managed-fields` names it. */
const FIELD_MANAGER = 'mesh';

const printJson = (value: object) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** The control plane's version: istiod's image, else what the install record says istioctl was. */
async function controlPlaneVersion(kube: KubeGateway, ns: string, record: InstallRecord): Promise<string | undefined> {
  const istiod = await kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`, { labelSelector: 'app=istiod' });
  const image = istiod.items[0]?.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.image;
  return versionOfImage(image) ?? record.toolVersions.istioctl;
}

const minorOf = (version: string) => /^(\d+\.\d+)/.exec(version)?.[1];

/** Addons of one Istio minor go with a control plane of the same minor (their dashboards, scrape configs). */
function checkSameMinor(release: ReleaseDir, controlPlane: string | undefined): string | undefined {
  if (!release.version || !controlPlane || controlPlane === 'unknown')
    return `cannot tell ${release.version ? 'the control plane' : `${release.dir}`}'s Istio version: not checked against the other`;
  if (minorOf(release.version) !== minorOf(controlPlane))
    throw preflightError(
      `${release.dir} is Istio ${release.version}, the control plane runs ${controlPlane}: addons come from the matching release`,
      `mesh istio fetch ${controlPlane} (then --istio-version ${controlPlane}), ` +
        `or --istio-dir with an Istio ${minorOf(controlPlane)} release`,
    );
  return undefined;
}

/** A 409 from server-side apply: another manager owns fields mesh would set. */
function conflictError(error: unknown, ref: string): unknown {
  if (!(error instanceof KubeApiError) || error.status !== 409) return error;
  return new CliError(
    `${ref}: ${error.reason}`,
    ExitCode.preflight,
    'another tool (kubectl apply, helm) manages these fields: pass --force-conflicts to take them over, or remove the object first',
  );
}

export async function installAddons(globals: GlobalOptions, names: string[], options: AddonsOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'addons install');
  const json = output === 'json';
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const ns = istioNamespaceOf(globals);
  const wanted = checkAddonNames(names);
  const release = findReleaseDir(options);
  const addons: AddonToApply[] = wanted.map((name) => {
    const { source, text } = readAddonManifest(release, name);
    return { name, source, objects: parseAddon(name, source, text, ns) };
  });
  checkNoSharedObjects(addons, []);
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const { record } = await requireRecord(kube, ns);
  checkNoSharedObjects(addons, record.addons ?? []);
  const versionNote = checkSameMinor(release, await controlPlaneVersion(kube, ns, record));
  // Cluster-scoped kinds (ClusterRole) carry no namespace; discovery says which they are.
  const paths = new ObjectPaths(kube);
  for (const addon of addons) for (const o of addon.objects) if (!(await paths.namespaced(o))) delete o.namespace;
  const plan = buildAddonsInstallPlan({ addons, istioNamespace: ns, context: kube.context, release: release.dir });
  if (options.dryRun) {
    process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : addonsPlanToText(plan));
    return ExitCode.ok;
  }

  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  if (versionNote) progress.note(`warning: ${versionNote}`);
  const steps = createStepRunner(progress);
  const started = Date.now();
  let held: HeldLock | undefined;
  let outcome: { success: boolean; error?: CliError } = { success: true };
  try {
    held = await holdLockStep(kube, ns, 'addons', options.waitForLock, steps);
    const applied: RecordedAddon[] = [];
    for (const addon of addons) {
      await steps.run(
        { id: 'apply', description: `server-side apply ${addon.name}` },
        `apply ${addon.name} (${addon.objects.length} objects from ${ADDON_FILES[addon.name]})`,
        async () => {
          for (const o of addon.objects) {
            try {
              await serverSideApply(kube, paths, o, o.body, { fieldManager: FIELD_MANAGER, force: options.forceConflicts });
            } catch (error) {
              throw conflictError(error, formatRef(o));
            }
          }
        },
      );
      applied.push({
        name: addon.name,
        source: addon.source,
        objects: addon.objects.map(({ apiVersion, kind, namespace, name }) => ({
          apiVersion,
          kind,
          ...(namespace ? { namespace } : {}),
          name,
        })),
        installedAt: new Date().toISOString(),
      });
    }
    // Recorded before the wait: an addon that never turns Ready is still mesh's to remove.
    await steps.run({ id: 'record', description: 'record the addons in the install record' }, 'record the addons', async () => {
      await updateRecord(kube, ns, (record) => ({
        addons: [...(record.addons ?? []).filter((a) => !applied.some((b) => b.name === a.name)), ...applied],
      }));
    });
    const workloads = addons.flatMap((a) => rolloutsOf(a.objects));
    if (workloads.length)
      await steps.run(
        { id: 'wait', description: 'wait for the addons to roll out' },
        `wait for ${workloads.map(formatWorkload).join(', ')}`,
        async () => {
          const result = await waitForRollout(kube, workloads, timeoutSeconds);
          if (!result.ready)
            throw new CliError(
              `not ready after ${options.timeout}: ${describeNotReady(result.notReady)}`,
              ExitCode.verifyFailed,
              'the addons are applied and recorded; `kubectl describe` the pods for their events, then re-run (it converges)',
            );
          return `ready in ${(result.elapsedMs / 1000).toFixed(1)}s`;
        },
        (detail) => detail,
      );
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    outcome = { success: false, error };
  } finally {
    await held?.release();
  }
  if (json)
    printJson({
      schemaVersion: 1,
      kind: 'AddonsResult',
      action: 'install',
      success: outcome.success,
      addons: wanted,
      release: release.dir,
      durationMs: Date.now() - started,
      steps: steps.outcomes,
      ...(outcome.error ? { error: { message: outcome.error.message, hint: outcome.error.hint, exitCode: outcome.error.exitCode } } : {}),
    });
  if (outcome.error) {
    if (json) return outcome.error.exitCode;
    throw outcome.error;
  }
  if (!json) progress.note(`installed addons ${wanted.join(', ')} in ${ns}; open one with \`mesh dashboard <addon>\``);
  return ExitCode.ok;
}

export async function uninstallAddons(globals: GlobalOptions, names: string[], options: AddonsOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'addons uninstall');
  const json = output === 'json';
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const ns = istioNamespaceOf(globals);
  const wanted = checkAddonNames(names);
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const { record } = await requireRecord(kube, ns);
  const installed = record.addons ?? [];
  const remove = installed.filter((a) => wanted.includes(a.name));
  const keep = installed.filter((a) => !wanted.includes(a.name));
  const absent = wanted.filter((name) => !remove.some((a) => a.name === name));
  const plan = buildAddonsUninstallPlan({ remove, keep, istioNamespace: ns, context: kube.context });
  if (options.dryRun) {
    const claims = await volumeClaimsOf(kube, remove);
    for (const addon of plan.addons) if (claims.get(addon.name)?.length) addon.volumeClaims = claims.get(addon.name);
    process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : addonsPlanToText(plan));
    return ExitCode.ok;
  }
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  for (const name of absent) progress.note(`${name}: not installed by mesh, nothing to remove`);
  const steps = createStepRunner(progress);
  if (remove.length) {
    let held: HeldLock | undefined;
    try {
      held = await holdLockStep(kube, ns, 'addons', options.waitForLock, steps);
      await steps.run(
        { id: 'delete', description: `delete ${remove.map((a) => a.name).join(', ')}` },
        `delete ${remove.map((a) => a.name).join(', ')}`,
        () => removeAddonObjects(kube, remove, keep, timeoutSeconds),
        (n) => `${n} objects deleted`,
      );
      await steps.run({ id: 'record', description: 'update the install record' }, 'update the install record', async () => {
        await updateRecord(kube, ns, (record) => ({ addons: (record.addons ?? []).filter((a) => !wanted.includes(a.name)) }));
      });
    } finally {
      await held?.release();
    }
  }
  if (json)
    printJson({
      schemaVersion: 1,
      kind: 'AddonsResult',
      action: 'uninstall',
      success: true,
      removed: remove.map((a) => a.name),
      notInstalled: absent,
      steps: steps.outcomes,
    });
  else if (remove.length) progress.note(`removed addons ${remove.map((a) => a.name).join(', ')} from ${ns}`);
  return ExitCode.ok;
}

export async function listAddons(globals: GlobalOptions, options: AddonsOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'addons list');
  const ns = istioNamespaceOf(globals);
  let release: ReleaseDir | undefined;
  let releaseError: string | undefined;
  try {
    release = findReleaseDir(options);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    releaseError = error.message;
  }
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const { record } = await readRecord(kube, ns);
  const deployments = await kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`);
  const rows = ADDON_NAMES.map((name) => {
    const recorded = record?.addons?.find((a) => a.name === name);
    const workloads = recorded ? rolloutsOf(recorded.objects) : [];
    const ready = workloads.map((w) => {
      const d = deployments.items.find((x) => x.metadata?.name === w.name);
      return w.kind !== 'Deployment'
        ? 'not read'
        : d
          ? `${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available`
          : 'missing';
    });
    return {
      name,
      available: release ? readableAddon(release, name) : false,
      installed: Boolean(recorded),
      ...(recorded
        ? { installedAt: recorded.installedAt, source: recorded.source, workloads: workloads.map(formatWorkload), state: ready }
        : {}),
    };
  });
  if (output === 'json') {
    printJson({
      schemaVersion: 1,
      kind: 'AddonList',
      istioNamespace: ns,
      release: release?.dir ?? null,
      ...(releaseError ? { releaseError } : {}),
      addons: rows,
    });
    return ExitCode.ok;
  }
  const lines = [
    `release: ${release ? `${release.dir}${release.version ? ` (Istio ${release.version})` : ''}` : `none (${releaseError})`}`,
  ];
  for (const r of rows) {
    const state = r.installed
      ? `installed ${r.installedAt}: ${(r.workloads ?? []).map((w, i) => `${w} ${r.state?.[i]}`).join(', ')}`
      : r.available
        ? 'available'
        : 'not in the release';
    lines.push(`${r.name.padEnd(11)} ${state}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}

function readableAddon(release: ReleaseDir, name: string): boolean {
  try {
    readAddonManifest(release, name);
    return true;
  } catch {
    return false;
  }
}
