import type { V1DaemonSet, V1Deployment, V1Namespace, V1StatefulSet } from '@kubernetes/client-node';
import { checkOutput, checkRevision, istioNamespaceOf, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, type KubeGateway } from '../../adapters/kube.js';
import { runProcess } from '../../adapters/process.js';
import { withRenderedFiles } from '../../adapters/tempfiles.js';
import { IstioctlMemo } from '../../adapters/istioctl-memo.js';
import { istioctlVersion } from '../../adapters/tools.js';
import { ExitCode, preflightError, usageError } from '../../errors.js';
import { listRecords, patchNamespaceLabels, updateRecord } from '../../install/cluster.js';
import { cachedRelease } from '../../istio/cache.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { versionOfImage } from '../../istio/versions.js';
import { REDACTED, type InstallRecord } from '../../plan/record.js';
import { placeholder } from '../../plan/types.js';
import { createProgress } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { namespacesUsing, readInjectionState } from '../../revisions/usage.js';
import { judgeUpgrade, revisionForVersion } from '../../revisions/upgrade-rules.js';
import type { RevisionTag } from '../../revisions/tags.js';
import type { InstallOptions } from '../install/options.js';
import { gatherFacts } from '../../verify/facts.js';
import { buildReport } from '../../verify/report.js';
import type { UpgradeOptions } from './options.js';

/**
 * `mesh upgrade --to <version>`: the rules first (how far, which way), then `mesh install` of the
 * new version, as a canary revision beside the old control plane (then its tags and namespaces
 * move to it, recorded so that removing the canary gives them back) or in place.
 */
export async function upgrade(globals: GlobalOptions, options: UpgradeOptions): Promise<number> {
  checkOutput(globals.output, ['text'], 'upgrade');
  const mode = options.inPlace ? 'in-place' : 'canary';
  const ns = istioNamespaceOf(globals);
  // The cached release of --to when there is one (mesh istio fetch), unless a flag names the tools.
  const useCached =
    !options.istioctl &&
    !options.istioVersion &&
    !options.charts &&
    !options.chartVersion &&
    !options.chartRepo &&
    cachedRelease(options.to);
  const { istioctl } = resolveIstioRelease({
    istioctl: options.istioctl,
    istioVersion: options.istioVersion ?? (useCached ? options.to : undefined),
  });
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const from = pickRecord(await listRecords(kube, ns), options.from === undefined ? undefined : checkRevision(options.from), ns);
  const fromRevision = from.revision || 'default';
  const running = await kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    labelSelector: `app=istiod,istio.io/rev=${fromRevision}`,
  });
  const fromVersion =
    versionOfImage(running.items[0]?.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.image) ??
    from.toolVersions.istioctl;
  // Istio's rules first: a jump it does not support is refused whatever tools are at hand.
  judgeUpgrade(fromVersion, options.to, mode);
  // The installer must be the version named: istioctl says its own; helm charts are taken as given.
  // Asked through the memo, so the install below reads this answer instead of asking again.
  const tool = await istioctlVersion(runProcess, istioctl, new IstioctlMemo()).catch(() => undefined);
  if (from.backend === 'istioctl' && tool !== options.to)
    throw preflightError(
      `--to ${options.to}, but ${istioctl} is ${tool ? `istioctl ${tool}` : 'not a working istioctl'}`,
      `mesh istio fetch ${options.to}, or pass --istioctl <the ${options.to} istioctl>`,
    );
  const newRevision = mode === 'in-place' ? from.revision : checkRevision(options.revision ?? revisionForVersion(options.to));
  if (mode === 'canary' && (newRevision || 'default') === fromRevision)
    throw usageError(`--revision ${newRevision || 'default'} is the revision being upgraded`, 'a canary needs a revision of its own');
  const progress = createProgress(outputStyle({ color: globals.color, machine: false }));
  progress.note(
    `${mode} upgrade of revision ${fromRevision} in ${ns}: ${fromVersion} -> ${options.to}` +
      (mode === 'canary' ? `, new revision ${newRevision}` : ''),
  );
  if (options.dryRun) {
    // The install the upgrade runs, printed as `mesh install --dry-run` prints it; then what moves.
    const planned = await installWith(globals, options, from, newRevision, istioctl, true);
    if (planned !== ExitCode.ok) return planned;
    const moves = mode === 'canary' ? await movesFrom(kube, fromRevision) : undefined;
    for (const line of dryRunLines(moves, newRevision || 'default', fromRevision, fromVersion)) progress.note(line);
    const restart = moves ? moves.users : await namespacesOf(kube, fromRevision);
    progress.note(
      !restart.length
        ? 'no namespace injects with it: no workload to restart'
        : options.restart
          ? `would restart the Deployments, StatefulSets and DaemonSets in ${restart.join(', ')}`
          : `the workloads in ${restart.join(', ')} keep their ${fromVersion} proxies until restarted (--restart does it)`,
    );
    const gateways = gatewaysNote(mode, from, newRevision, 'upgrades');
    if (gateways) progress.note(gateways);
    progress.note('dry run: nothing was changed');
    return ExitCode.ok;
  }
  const installed = await installWith(globals, options, from, newRevision, istioctl);
  if (installed !== ExitCode.ok) return installed;

  const moved = mode === 'canary' ? await moveToRevision(kube, globals, options, ns, fromRevision, newRevision || 'default', istioctl) : [];
  const restartNamespaces = mode === 'canary' ? moved : await namespacesOf(kube, fromRevision);
  if (options.restart && restartNamespaces.length) {
    const count = await restartWorkloads(kube, restartNamespaces);
    progress.note(`restarted ${count} workloads in ${restartNamespaces.join(', ')}`);
  }
  // The new control plane is verified as `mesh verify -r <rev>` would (analyze aside: config did not change).
  const verified = await verifyRevision(kube, ns, mode === 'canary' ? newRevision : from.revision);
  progress.note(verified.line);
  if (!verified.ok) return ExitCode.verifyFailed;
  const gateways = gatewaysNote(mode, from, newRevision, 'upgraded');
  if (gateways) progress.note(gateways);
  progress.note(
    mode === 'canary'
      ? `upgraded: revision ${newRevision} (${options.to}) runs beside ${fromRevision} (${fromVersion})` +
          `${moved.length ? `; moved ${moved.join(', ')}` : ''}. Check it: mesh verify -r ${newRevision}. ` +
          `When no proxy uses ${fromRevision} any more: mesh uninstall -r ${fromRevision} -y`
      : `upgraded revision ${fromRevision} in place to ${options.to}. Check it: mesh verify${from.revision ? ` -r ${from.revision}` : ''}`,
  );
  return ExitCode.ok;
}

function pickRecord(records: InstallRecord[], wanted: string | undefined, ns: string): InstallRecord {
  const found =
    wanted !== undefined
      ? records.find((r) => (r.revision || '') === wanted)
      : (records.find((r) => !r.revision) ?? (records.length === 1 ? records[0] : undefined));
  if (found) return found;
  throw preflightError(
    records.length
      ? `${wanted === undefined ? 'no default revision and several revisions' : `no revision ${wanted}`} in ${ns}: ` +
          records.map((r) => r.revision || 'default').join(', ')
      : `no mesh install in ${ns} to upgrade`,
    records.length ? 'pass --from <rev>' : 'run `mesh install` first',
  );
}

/**
 * `mesh install` of the new version with the recorded intent: the recorded IstioOperator as the
 * first overlay (profile, overlays, --set, exposure and CNI flags all live in it, on both backends;
 * a helm record of an earlier mesh gives its profile, overlays and --set instead), with the -f,
 * --set and exposure flags given now on top, as `helm upgrade --reuse-values` layers them.
 * `--profile` starts afresh from what is given now.
 */
async function installWith(
  globals: GlobalOptions,
  options: UpgradeOptions,
  from: InstallRecord,
  revision: string,
  istioctl: string,
  dryRun = false,
): Promise<number> {
  const files: Record<string, string> = {};
  const recorded = from.renderedSpec ?? '';
  if (!options.profile) {
    if (recorded.includes(REDACTED) || from.sets.some((s) => s.includes(REDACTED)))
      throw usageError(
        'the recorded install has redacted values (secret-looking paths): it cannot be replayed',
        'pass the install flags again, starting with --profile, to mesh upgrade',
      );
    if (recorded) files['recorded.yaml'] = recorded;
  }
  const { install } = await import('../install/run.js');
  return withRenderedFiles(files, (resolveArgv) => {
    const given = { filename: options.filename ?? [], set: options.set ?? [] };
    const intent = options.profile
      ? {}
      : files['recorded.yaml']
        ? { profile: undefined, filename: [...resolveArgv([placeholder('recorded.yaml')]), ...given.filename], set: given.set }
        : { profile: from.profile, filename: [...from.overlays, ...given.filename], set: [...from.sets, ...given.set] };
    const installOptions: InstallOptions = {
      ...options,
      ...intent,
      revision: revision || 'default',
      backend: from.backend,
      yes: true,
      dryRun,
      injectNamespace: [],
      istioctl,
    };
    return install(globals, installOptions);
  });
}

/** Namespaces whose new pods a revision injects (directly, or through a tag pointing at it). */
const namespacesOf = async (kube: KubeGateway, revision: string): Promise<string[]> => {
  const { namespaces, tags } = await readInjectionState(kube);
  return namespacesUsing(revision, namespaces, tags);
};

/** istioctl installs one set of gateways per namespace (istio/istio#26019): a canary takes the old revision's over. */
function gatewaysNote(mode: string, from: InstallRecord, newRevision: string, verb: 'upgrades' | 'upgraded'): string | undefined {
  if (mode !== 'canary' || from.backend !== 'istioctl' || !from.workloads.some((w) => /gateway/.test(w))) return undefined;
  return (
    `note: the canary install ${verb} the gateways in place too (istioctl installs one set per namespace, istio/istio#26019): ` +
    `removing ${newRevision} needs them reinstalled with the old revision`
  );
}

/** What injects with a revision: the namespaces, the tags pointing at it, and the namespaces labelled for it directly. */
async function movesFrom(kube: KubeGateway, revision: string): Promise<{ users: string[]; tags: RevisionTag[]; direct: V1Namespace[] }> {
  const state = await readInjectionState(kube);
  const users = namespacesUsing(revision, state.namespaces, state.tags);
  const tags = state.tags.filter((t) => t.revision === revision);
  const viaTags = new Set(tags.flatMap((t) => t.namespaces));
  const direct = state.namespaces.filter((n) => users.includes(n.metadata?.name ?? '') && !viaTags.has(n.metadata?.name ?? ''));
  return { users, tags, direct };
}

/** What a canary upgrade would move, one line each; an in-place upgrade moves nothing. */
function dryRunLines(
  moves: Awaited<ReturnType<typeof movesFrom>> | undefined,
  toRevision: string,
  fromRevision: string,
  fromVersion: string,
): string[] {
  if (!moves) return [`would install over revision ${fromRevision} (${fromVersion}) in place: no tag or namespace moves`];
  const label = (labels: Record<string, string>) =>
    ['istio-injection', 'istio.io/rev']
      .filter((k) => k in labels)
      .map((k) => `${k}=${labels[k]}`)
      .join(', ');
  const lines = [
    ...moves.tags.map(
      (t) => `would move tag ${t.tag} to revision ${toRevision} (namespaces using it: ${t.namespaces.join(', ') || 'none'})`,
    ),
    ...moves.direct.map(
      (n) => `would relabel namespace ${n.metadata?.name} istio.io/rev=${toRevision} (was ${label(n.metadata?.labels ?? {})})`,
    ),
  ];
  return lines.length ? lines : [`no tag or namespace uses revision ${fromRevision}: nothing would move`];
}

/**
 * Moves what injected with the old revision to the new one: each tag pointing at it (istioctl tag
 * set --overwrite, as `mesh tag set`), and each namespace labelled for it directly, relabelled and
 * recorded in the new revision's record so removing the canary restores the labels.
 */
async function moveToRevision(
  kube: KubeGateway,
  globals: GlobalOptions,
  options: UpgradeOptions,
  ns: string,
  fromRevision: string,
  toRevision: string,
  istioctl: string,
): Promise<string[]> {
  const { users, tags, direct } = await movesFrom(kube, fromRevision);
  const { setTag } = await import('../tag/run.js');
  for (const tag of tags) {
    await setTag(globals, tag.tag, { revision: toRevision, overwrite: true, istioctl, waitForLock: options.timeout });
    await updateRecord(
      kube,
      ns,
      (r) => ({ tagsMovedFrom: { ...r.tagsMovedFrom, [tag.tag]: fromRevision } }),
      toRevision === 'default' ? '' : toRevision,
    );
  }
  for (const namespace of direct) {
    const name = namespace.metadata!.name!;
    const labels = namespace.metadata?.labels ?? {};
    const previous = Object.fromEntries(['istio-injection', 'istio.io/rev'].filter((k) => k in labels).map((k) => [k, labels[k]]));
    await updateRecord(
      kube,
      ns,
      (r) => ({
        labelledNamespaces: [
          ...r.labelledNamespaces.filter((l) => l.namespace !== name),
          { namespace: name, labels: { 'istio.io/rev': toRevision }, previous },
        ],
      }),
      toRevision === 'default' ? '' : toRevision,
    );
    await patchNamespaceLabels(kube, name, { 'istio-injection': null, 'istio.io/rev': toRevision });
  }
  return users;
}

async function verifyRevision(kube: KubeGateway, ns: string, revision: string): Promise<{ ok: boolean; line: string }> {
  const started = Date.now();
  const facts = await gatherFacts(kube, ns, revision);
  facts.analyze = { status: 'skipped', reason: 'not run by upgrade (mesh verify runs it)' };
  const report = buildReport(
    facts,
    { only: [], skip: ['config'], strict: false },
    { durationMs: Date.now() - started, apiRequests: kube.requests },
  );
  const failed = report.categories.flatMap((c) => c.checks).filter((c) => c.status === 'fail');
  const s = report.summary;
  return {
    ok: report.success,
    line:
      `verify -r ${revision || 'default'}: ${s.ok} ok, ${s.warn} warn, ${s.fail} fail, ${s.unknown} unknown` +
      (failed.length ? ` (${failed.map((c) => `${c.id}: ${c.message}`).join('; ')})` : ''),
  };
}

/** `kubectl rollout restart` of every Deployment, StatefulSet and DaemonSet in the namespaces. */
async function restartWorkloads(kube: KubeGateway, namespaces: string[]): Promise<number> {
  const now = new Date().toISOString();
  const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now } } } } };
  let count = 0;
  for (const ns of namespaces)
    for (const kind of ['deployments', 'statefulsets', 'daemonsets'] as const) {
      const list = await kube.list<V1Deployment | V1StatefulSet | V1DaemonSet>(`/apis/apps/v1/namespaces/${ns}/${kind}`);
      for (const item of list.items) {
        await kube.request('PATCH', `/apis/apps/v1/namespaces/${ns}/${kind}/${item.metadata!.name}`, patch, 'application/merge-patch+json');
        count++;
      }
    }
  return count;
}
