import type { V1Deployment, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { KubeGateway } from '../../adapters/kube.js';
import { namespaceDeleting, namespaceDeletingHint } from '../../adapters/kube-errors.js';
import type { Runner } from '../../adapters/tool-run.js';
import type { IstioctlMemo } from '../../adapters/istioctl-memo.js';
import { helmVersion, istioctlVersion } from '../../adapters/tools.js';
import type { HeldInstall } from './held-install.js';
import type { ValuesVerdict } from './helm-values-check.js';
import type { HelmMemo } from '../../adapters/helm-memo.js';
import { chartDownloadError } from '../../plan/helm-commands.js';
import { preflightError, usageError } from '../../errors.js';
import { checkIstioVersion, checkKubernetesVersion } from '../../install/compat.js';
import { deniedAccess, formatAccess, getNamespace, readRecord, serverVersion } from '../../install/cluster.js';
import { helmApplyWarning, skewWarning, versionOfImage } from '../../istio/versions.js';
import { heldBy, lockHolder } from '../../install/lock.js';
import { LOCK_NAME, LOCK_SECONDS } from '../../install/lock-name.js';
import type { Plan } from '../../plan/types.js';
import type { InstallRecord } from '../../plan/record.js';
import type { StepHandle } from '../../report/progress.js';
import { CRDS_PATH, crdOwnership } from '../../install/crd-ownership.js';
import { DEFAULT_VALIDATOR_PATH, judgeBaseDefaultRevision, readDefaultValidator } from '../../revisions/default-validator.js';

export interface PreflightFacts {
  toolVersions: Record<string, string>;
  kubernetesVersion: string;
  existing?: InstallRecord;
  existingConfigMap?: Awaited<ReturnType<typeof readRecord>>['configMap'];
  /** Namespaces the plan touches that do not exist yet. */
  missingNamespaces: string[];
  /**
   * istioctl's exact version was not asked before the change (a first run: the held install's
   * prompt named the version the checks needed); ask it beside the apply, for the record.
   */
  istioctlVersionDeferred?: boolean;
}

export interface PreflightInput {
  plan: Plan;
  kube: KubeGateway;
  run: Runner;
  tools: { istioctl: string; helm: string };
  namespacesTouched: string[];
  injectNamespaces: string[];
  /** The Istio version the helm backend installs, when known (--chart-version, or the cached release's charts). */
  chartVersion?: string;
  /** --wait-for-lock: a held lock is waited for at the lock step instead of refused here. */
  waitingForLockAllowed: boolean;
  handle: StepHandle;
  /** What this istioctl answered before (absent: always ask it). */
  memo?: IstioctlMemo;
  /** What this helm answered before (absent: always ask it). */
  helmMemo?: HelmMemo;
  /** istioctl install, started without -y and holding at its prompt: its render is the spec check. */
  held?: HeldInstall;
  /** helm's render of each release with the plan's values (helm-values-check.ts): its verdict is the values check. */
  valuesChecked?: Promise<ValuesVerdict>;
  /** helm: the base chart's defaultRevision the plan renders (undefined: the plan has no base chart). */
  baseDefaultRevision?: string;
}

const rejection = (complaint: string) =>
  usageError(
    `istioctl rejects the IstioOperator mesh rendered: ${complaint}`,
    'fix the overlay or --set it names; `mesh render` prints what mesh hands istioctl',
  );

const valuesRejection = (release: string, complaint: string) =>
  usageError(
    `helm rejects the values mesh rendered for release ${release}: ${complaint}`,
    'fix the overlay or --set it names; `mesh render --backend helm` prints what mesh hands helm',
  );

/**
 * Everything install checks before it changes anything; throws a CliError (exit 2, 3 or 4) on the
 * first problem. The tools' verdicts on the input (istioctl's on the spec, input.held; helm's on
 * the values, input.valuesChecked) are awaited last, as their renders take longest, but input they
 * reject is reported before any other problem: bad input first.
 */
export async function preflight(input: PreflightInput): Promise<PreflightFacts> {
  let facts: PreflightFacts;
  try {
    facts = await checkBeforeChange(input);
  } catch (error) {
    const verdict = await input.held?.verdictNow();
    if (verdict?.kind === 'rejected') throw rejection(verdict.complaint);
    const values = await input.valuesChecked;
    if (values?.kind === 'rejected') throw valuesRejection(values.release, values.complaint);
    if (values?.kind === 'unfetchable' && values.missing) throw chartDownloadError(values);
    throw error;
  }
  const verdict = await input.held?.verdict();
  if (verdict?.kind === 'rejected') throw rejection(verdict.complaint);
  if (verdict?.kind === 'failed') throw verdict.error;
  const values = await input.valuesChecked;
  if (values?.kind === 'rejected') throw valuesRejection(values.release, values.complaint);
  if (values?.kind === 'unfetchable') throw chartDownloadError(values);
  if (values?.kind === 'failed') throw values.error;
  return facts;
}

/**
 * The install's state in the cluster, asked at once: the permissions it needs, then record, istiod,
 * lock, the named namespaces. The permissions are judged first: a user without them is told all of
 * them at once, not the first read refused.
 */
function readInstallState(input: PreflightInput, names: string[], readCrds: boolean) {
  const { plan, kube } = input;
  const ns = plan.istioNamespace;
  const denied = deniedAccess(kube, [
    { verb: 'create', group: '', resource: 'namespaces' },
    { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
    { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    { verb: 'create', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
    { verb: 'create', group: 'apps', resource: 'deployments', namespace: ns },
    { verb: 'create', group: '', resource: 'configmaps', namespace: ns },
    { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: ns },
    ...(input.injectNamespaces.length ? [{ verb: 'patch', group: '', resource: 'namespaces' }] : []),
  ]);
  const state = Promise.all([
    readRecord(kube, ns, plan.revision),
    kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`, { labelSelector: 'app=istiod' }),
    lockHolder(kube, ns),
    Promise.all(names.map((name) => getNamespace(kube, name))),
    input.baseDefaultRevision === undefined ? undefined : kube.get<V1ValidatingWebhookConfiguration>(DEFAULT_VALIDATOR_PATH),
    readCrds ? kube.listMetadata(CRDS_PATH) : undefined,
  ]);
  return { denied, state };
}

async function checkBeforeChange(input: PreflightInput): Promise<PreflightFacts> {
  const { plan, kube, run, tools, handle, held } = input;
  // A first run (istioctl's version not remembered) with istioctl held at its prompt does not ask
  // istioctl its version before the change: `istioctl version` is a process of its own (0.15-0.2 s
  // of CPU), which on a small machine slows the held istioctl's render, the longest step before the
  // change. The prompt names the version, as major.minor.patch, which is what the checks compare;
  // the exact one is asked beside the apply, for the record (execute.ts).
  const askIstioctl = async () => ({ version: await istioctlVersion(run, tools.istioctl, input.memo), exact: true });
  const mayDefer = plan.backend === 'istioctl' && held !== undefined && !input.memo?.version(tools.istioctl);
  // Every question goes out at once; the answers are judged in the order of their errors'
  // importance. Each settles handled, so an answer not looked at after an earlier error is no
  // unhandled rejection.
  const toolAsked =
    plan.backend === 'helm'
      ? helmVersion(run, tools.helm, input.helmMemo).then((version) => ({ version, exact: true }))
      : mayDefer
        ? versionInPrompt(held, askIstioctl)
        : askIstioctl();
  const ns = plan.istioNamespace;
  const names = [...new Set([...input.namespacesTouched, ...input.injectNamespaces])];
  const base = plan.steps.find((s) => s.id === 'adopt-crds');
  const serverAsked = serverVersion(kube);
  const stateRead = readInstallState(input, names, base !== undefined);
  for (const pending of [toolAsked, serverAsked, stateRead.denied, stateRead.state]) pending.catch(() => undefined);
  const toolVersions: Record<string, string> = {};
  let istioVersion: string | undefined;
  // The prompt comes only after istioctl's own reads: an unreachable cluster is named at once (exit 4), not at istioctl's timeout.
  if (mayDefer) await serverAsked;
  const asked = await toolAsked;
  const deferred = !asked.exact;
  if (plan.backend === 'istioctl') {
    istioVersion = asked.version;
    if (!deferred) toolVersions.istioctl = istioVersion ?? 'unknown';
    const verdict = checkIstioVersion(istioVersion);
    if (!verdict.ok) throw preflightError(verdict.message, verdict.hint);
  } else {
    toolVersions.helm = asked.version ?? 'unknown';
    if (!/^3\.|^4\./.test(toolVersions.helm))
      throw preflightError(`helm ${toolVersions.helm} is not Helm 3 or 4`, 'install Helm 3.x or pass --helm <path>');
    istioVersion = input.chartVersion;
    const conflict = helmApplyWarning(toolVersions.helm, istioVersion);
    if (conflict) handle.info(`warning: ${conflict}`);
  }
  // The first API answer judged (exit 4 if unreachable).
  const server = await serverAsked;
  const versions = Object.entries(toolVersions).map(([k, v]) => `${k} ${v}`);
  // A first run says what the held istioctl's prompt said; its exact version is recorded once asked.
  if (deferred) versions.push(`istioctl installing Istio ${istioVersion ?? 'unknown'}`);
  handle.info(`cluster ${kube.context} (${kube.server}), Kubernetes ${server.gitVersion}; ${versions.join(', ')}`);
  const compat = checkKubernetesVersion(istioVersion, server.minor);
  if (!compat.ok) throw preflightError(compat.message, compat.hint);
  if (compat.note && plan.backend === 'istioctl') handle.info(compat.note);

  const denied = await stateRead.denied;
  if (denied.length)
    throw preflightError(
      `not permitted to ${denied.map(formatAccess).join(', ')} (context ${kube.context})`,
      'use a kubeconfig context with cluster-admin rights',
    );
  const [{ record, configMap }, istiod, holder, namespaces, validator, crds] = await stateRead.state;
  // Seen before any change: the API server would refuse the lock, the record and the releases in it.
  const deleting = names.find((_, i) => namespaces[i]?.metadata?.deletionTimestamp);
  if (deleting) throw preflightError(namespaceDeleting(deleting), namespaceDeletingHint(deleting));
  // A change in progress is seen before this run changes anything; with --wait-for-lock it waits at the lock step.
  if (holder && !holder.expired && !input.waitingForLockAllowed)
    throw preflightError(
      `another mesh run is changing ${ns}: ${heldBy(holder)} (Lease ${ns}/${LOCK_NAME})`,
      `wait for it to finish, or pass --wait-for-lock <duration>; a lock whose holder died expires ${LOCK_SECONDS}s after its last renewal`,
    );
  judgeExisting(plan, record, handle);
  const running = versionOfImage(istiod.items[0]?.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.image);
  const skew = skewWarning(plan.backend === 'istioctl' ? 'istioctl' : 'charts', istioVersion, running);
  if (skew) handle.info(`warning: ${skew.message}; ${skew.hint}`);
  // A control plane of another revision may run beside this one (a canary); one of the same revision not installed by mesh may not.
  const sameRevision = istiod.items.find((d) => (d.metadata?.labels?.['istio.io/rev'] ?? 'default') === (plan.revision || 'default'));
  if (!record && sameRevision)
    throw preflightError(
      `Istio is already installed in ${ns} (Deployment ${sameRevision.metadata?.name}) but not by mesh`,
      'remove it with `istioctl uninstall --purge` / `helm uninstall`, or install into another namespace with -n',
    );
  const foreign = base && crds ? crdOwnership(crds.items, { name: base.release, namespace: base.namespace }).foreign : [];
  if (foreign.length)
    throw preflightError(
      `CustomResourceDefinition ${foreign[0].name}${foreign.length > 1 ? ` (and ${foreign.length - 1} more Istio CRDs)` : ''} ` +
        `belongs to helm release ${foreign[0].owner}: helm would refuse to install ${base!.namespace}/${base!.release} over it`,
      `install the base chart as that release, or hand the CRDs over: kubectl annotate crd ${foreign[0].name} ` +
        `meta.helm.sh/release-name=${base!.release} meta.helm.sh/release-namespace=${base!.namespace} --overwrite (each one)`,
    );
  judgeBaseDefaultRevision({
    baseDefaultRevision: input.baseDefaultRevision,
    installing: plan.revision || 'default',
    running: istiod.items.map((d) => d.metadata?.labels?.['istio.io/rev'] ?? 'default'),
    live: readDefaultValidator(validator),
  });
  const missingNamespaces = names.filter((_, i) => !namespaces[i]);
  const missingInject = input.injectNamespaces.filter((n) => missingNamespaces.includes(n));
  if (missingInject.length)
    throw preflightError(
      `--inject-namespace ${missingInject[0]}: namespace not found`,
      `create it first: kubectl create namespace ${missingInject[0]}`,
    );
  return {
    toolVersions,
    kubernetesVersion: server.gitVersion,
    existing: record,
    existingConfigMap: configMap,
    missingNamespaces,
    ...(deferred ? { istioctlVersionDeferred: true } : {}),
  };
}

/**
 * The Istio version the held istioctl's prompt names; istioctl is asked after all where it reached
 * no prompt naming one (it failed, rejected the spec, or prompts in a format mesh does not know),
 * so each error comes out as it would have without the held install.
 */
async function versionInPrompt(held: HeldInstall, ask: () => Promise<AskedVersion>): Promise<AskedVersion> {
  const verdict = await held.verdict();
  return verdict.kind === 'accepted' && verdict.promptVersion ? { version: verdict.promptVersion, exact: false } : ask();
}

/** A tool's version, and whether it is the tool's own word for it or the held istioctl's normalised prompt. */
interface AskedVersion {
  version: string | undefined;
  exact: boolean;
}

/** An install mesh recorded earlier (of this revision: one record each) converges only with the same backend. */
export function judgeExisting(plan: Plan, record: InstallRecord | undefined, handle: StepHandle): void {
  if (!record) return;
  const ns = plan.istioNamespace;
  if (record.backend !== plan.backend)
    throw preflightError(
      `Istio in ${ns} was installed by mesh with the ${record.backend} backend, not ${plan.backend}`,
      `re-run with --backend ${record.backend}, or \`mesh uninstall\` first`,
    );
  handle.info(`existing mesh install found (profile ${record.profile}, ${record.installedAt}): converging`);
}
