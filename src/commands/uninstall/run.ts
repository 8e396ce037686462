import type { UninstallOptions } from './options.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import type { V1ConfigMap, V1CustomResourceDefinition, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { istioNamespaceOf, checkOutput, checkRevision, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, KubeApiError, type KubeGateway } from '../../adapters/kube.js';
import { runProcess } from '../../adapters/process.js';
import { ToolFailedError, type Runner } from '../../adapters/tool-run.js';
import { sweepStaleRuns, withRenderedFiles } from '../../adapters/tempfiles.js';
import { onInterrupt } from '../../adapters/cleanup.js';
import { acquireLock, heldBy, lockIdentity, type Lock } from '../../install/lock.js';
import { CliError, ExitCode, preflightError, usageError } from '../../errors.js';
import {
  deleteNamespacesAndWait,
  deleteRecord,
  listRecords,
  patchNamespaceLabels,
  readRecord,
  updateRecord,
} from '../../install/cluster.js';
import { describeUsage, readInjectionState, revisionUsage } from '../../revisions/usage.js';
import { kubeFlags } from '../../plan/install.js';
import { buildUninstallPlan, defaultValidatorMove, tagsToMoveBack } from '../../plan/uninstall.js';
import { withDefaultRevision, type InstallRecord } from '../../plan/record.js';
import { DEFAULT_VALIDATOR, DEFAULT_VALIDATOR_PATH, readDefaultValidator } from '../../revisions/default-validator.js';
import { removeAddonObjects } from '../../addons/remove.js';
import { removeSample } from '../../samples/remove.js';
import { planToJson, planToText } from '../../plan/format.js';
import { createProgress, createStepRunner } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { confirm } from '../../report/confirm.js';

export async function uninstall(
  globals: GlobalOptions,
  options: UninstallOptions,
  deps: { run?: Runner; kube?: KubeGateway } = {},
): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'uninstall');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const lockWaitSeconds = options.waitForLock ? parseDuration(options.waitForLock, '--wait-for-lock') : 0;
  const ns = istioNamespaceOf(globals);
  options.istioctl = resolveIstioRelease(options).istioctl;
  if (!options.dryRun && !options.yes && !process.stdin.isTTY)
    throw usageError(
      'uninstall needs confirmation, and stdin is not a terminal',
      'pass -y to uninstall without asking (or --dry-run to see the plan)',
    );
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = deps.kube ?? (await createKubeGateway(target));
  const revision = options.revision === undefined ? '' : checkRevision(options.revision);
  const [{ record }, records] = await Promise.all([readRecord(kube, ns, revision), listRecords(kube, ns)]);
  const others = records.filter((r) => (r.revision || '') !== revision);
  const json = output === 'json';
  if (!record) {
    const message =
      `nothing to uninstall: no mesh install record${revision ? ` of revision ${revision}` : ''} ` +
      `in namespace ${ns} (context ${kube.context})` +
      (others.length ? `; recorded revisions: ${others.map((r) => r.revision || 'default').join(', ')}` : '');
    if (json)
      process.stdout.write(
        `${JSON.stringify({ schemaVersion: 1, kind: 'UninstallResult', success: true, changed: false, message }, null, 2)}\n`,
      );
    else process.stderr.write(`${message}\n`);
    return ExitCode.ok;
  }
  if (others.length && options.purge)
    throw preflightError(
      `--purge removes the Istio CRDs every control plane uses, and ${revisionList(others)} ` +
        `still ${others.length > 1 ? 'run' : 'runs'} in ${ns}`,
      'uninstall this revision without --purge; purge with the last one',
    );
  // Removing one of several control planes while proxies still use it strands them: refuse, and say which.
  if ((revision || others.length) && !options.force) {
    // Judged on the state after the undo: labels mesh set given back, tags an upgrade moved here moved back.
    const usage = await revisionUsage(kube, record.revision, {
      labelledNamespaces: record.labelledNamespaces,
      tagsBack: tagsToMoveBack(record, others),
    });
    // A tag left pointing at a removed revision breaks injection (and validation) for whoever uses it.
    if (usage.tags.length) {
      const [first] = usage.tags;
      const plural = usage.tags.length > 1;
      throw preflightError(
        `tag${plural ? 's' : ''} ${usage.tags.join(', ')} still point${plural ? '' : 's'} at revision ${record.revision || 'default'}`,
        `move ${plural ? 'them' : 'it'} first: mesh tag set ${first} --revision <another revision> --overwrite ` +
          `(or mesh tag remove ${first}), or pass --force`,
      );
    }
    if (usage.pods.length || usage.namespaces.length)
      throw preflightError(
        `revision ${record.revision || 'default'} is still used by ${describeUsage(usage)}`,
        'move them first (label each namespace istio.io/rev=<another revision>, or istio-injection=enabled for the default, ' +
          'and restart its workloads), or pass --force',
      );
  }
  const defaultValidatorRelease = await defaultValidatorToMove(kube, record, others, Boolean(options.force));
  const plan = buildUninstallPlan({
    record,
    purge: Boolean(options.purge),
    target,
    timeoutSeconds,
    otherRevisions: others,
    defaultValidatorRelease,
  });
  if (options.dryRun) {
    process.stdout.write(json ? planToJson(plan) : planToText(plan));
    return ExitCode.ok;
  }
  if (
    !options.yes &&
    !(await confirm(
      `Uninstall Istio (profile ${record.profile}, ${record.backend}) from ${ns} in context ${kube.context}` +
        `${options.purge ? ', including the Istio CRDs and every Istio resource' : ''}?`,
    ))
  )
    throw new CliError('uninstall cancelled', ExitCode.usage, 'pass -y to skip the question');

  const run = deps.run ?? runProcess;
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  const steps = createStepRunner(progress);
  for (const swept of sweepStaleRuns()) progress.note(`removed the private files of an interrupted mesh run (pid ${swept.deadPid})`);
  let lock: Lock | undefined;
  let releaseOnInterrupt: (() => void) | undefined;
  try {
    await withRenderedFiles(plan.files, async (resolveArgv) => {
      for (const step of plan.steps) {
        await steps.run(
          step,
          step.description,
          async (handle): Promise<string | undefined> => {
            if (step.id === 'preflight')
              return `record found: profile ${record.profile}, backend ${record.backend}, installed ${record.installedAt}`;
            if (step.id === 'lock') {
              lock = await acquireLock(kube, ns, {
                identity: lockIdentity('uninstall'),
                waitSeconds: lockWaitSeconds,
                onWait: (h) => handle.info(`waiting for ${heldBy(h)}`),
                onTakeOver: (h) => handle.info(`warning: took over the expired lock of ${heldBy(h)} (last renewed ${h.renewed})`),
              });
              const held = lock;
              releaseOnInterrupt = onInterrupt(() => held.release());
              return 'held';
            }
            if (step.id === 'label') {
              const patch: Record<string, string | null> = {
                ...Object.fromEntries((step.remove ?? []).map((k) => [k, null])),
                ...(step.set ?? {}),
              };
              try {
                await patchNamespaceLabels(kube, step.namespace, patch);
              } catch (error) {
                if (!(error instanceof KubeApiError && error.status === 404)) throw error;
                return 'namespace is gone';
              }
              return undefined;
            }
            if (step.id === 'default-revision') {
              const result = await run(options.helm, step.argv);
              if (result.exitCode !== 0) throw new ToolFailedError('helm', step.argv, result);
              const successor = step.revision === 'default' ? '' : step.revision;
              await updateRecord(kube, ns, (r) => withDefaultRevision(r, step.revision), successor);
              return undefined;
            }
            if (step.id === 'tag') {
              const current = (await readInjectionState(kube)).tags.find((t) => t.tag === step.tag);
              if (current?.revision !== step.onlyFrom) return `skipped: it now points at ${current?.revision ?? 'nothing'}`;
              const argv = ['tag', 'set', step.tag, '--revision', step.revision, '--istioNamespace', ns, '--overwrite', '-y'];
              const result = await run(options.istioctl, [...argv, ...kubeFlags('istioctl', target)]);
              if (result.exitCode !== 0) throw new ToolFailedError('istioctl', argv, result);
              const back = step.revision === 'default' ? '' : step.revision;
              await updateRecord(kube, ns, (r) => ({ tags: [...new Set([...(r.tags ?? []), step.tag])] }), back);
              return undefined;
            }
            if (step.id === 'apply') {
              const tool = step.tool === 'istioctl' ? options.istioctl : options.helm;
              const result = await run(tool, resolveArgv(step.argv));
              // helm says "not found" for a release already removed: that is the state we want.
              if (result.exitCode !== 0 && !(step.tool === 'helm' && /not found/i.test(result.stderr)))
                throw new ToolFailedError(step.tool, step.argv, result);
              return result.exitCode !== 0 ? 'already removed' : undefined;
            }
            if (step.id === 'delete') {
              if (step.what[0]?.startsWith('Sample/')) {
                const done: string[] = [];
                for (const sample of record.samples ?? []) done.push(await removeSample(kube, sample, step.waitSeconds ?? timeoutSeconds));
                return done.join('; ');
              }
              if (step.what[0]?.startsWith('Addon/'))
                return `${await removeAddonObjects(kube, record.addons ?? [], [], step.waitSeconds ?? timeoutSeconds)} objects deleted`;
              if (step.what[0]?.startsWith('CustomResourceDefinition')) return `${await deleteIstioCrds(kube)} CRDs deleted`;
              if (step.what[0]?.startsWith('ConfigMap/')) return `${await deleteRootCertCopies(kube)} deleted`;
              const names = step.what.map((w) => w.replace(/^Namespace\//, ''));
              await deleteNamespacesAndWait(kube, names, step.waitSeconds ?? timeoutSeconds);
              return `${names.join(', ')} gone`;
            }
            if (step.id === 'record') return (await deleteRecord(kube, ns, record.revision)) ? 'deleted' : 'already gone';
            return undefined;
          },
          (detail) => detail,
        );
      }
    });
  } finally {
    releaseOnInterrupt?.();
    await lock?.release().catch(() => undefined);
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, kind: 'UninstallResult', success: true, changed: true, steps: steps.outcomes }, null, 2)}\n`,
    );
  else
    progress.note(
      `uninstalled ${record.revision ? `revision ${record.revision}, ` : ''}profile ${record.profile} (${record.backend}) from ${ns}` +
        (others.length
          ? `; ${revisionList(others)} and the Istio CRDs stay`
          : options.purge
            ? ''
            : '; Istio CRDs kept (use --purge to remove them)'),
    );
  return ExitCode.ok;
}

async function deleteIstioCrds(kube: KubeGateway): Promise<number> {
  const crds = await kube.list<V1CustomResourceDefinition>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  const istio = crds.items.filter((c) => /(^|\.)istio\.io$/.test(c.spec.group));
  await Promise.all(istio.map((c) => kube.remove(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${c.metadata!.name}`)));
  return istio.length;
}

/** ConfigMaps istiod's namespace controller writes into every namespace (root cert, CRL). */
const ISTIOD_NAMESPACE_COPIES = ['istio-ca-root-cert', 'istio-ca-crl'];

async function deleteRootCertCopies(kube: KubeGateway): Promise<number> {
  const list = await kube.list<V1ConfigMap>('/api/v1/configmaps', { labelSelector: 'istio.io/config=true' });
  const copies = list.items.filter((cm) => ISTIOD_NAMESPACE_COPIES.includes(cm.metadata?.name ?? ''));
  await Promise.all(copies.map((cm) => kube.remove(`/api/v1/namespaces/${cm.metadata!.namespace}/configmaps/${cm.metadata!.name}`)));
  return copies.length;
}

/** "revision canary" / "revisions default, canary" */
const revisionList = (records: Array<{ revision: string }>) =>
  `revision${records.length > 1 ? 's' : ''} ${records.map((r) => r.revision || 'default').join(', ')}`;

/**
 * The helm release whose default validator names the revision being removed while others stay
 * (it would be left pointing at nothing: pain 1 of UPGRADE-NOTES). Refused when no record says
 * which chart to move it with, unless --force.
 */
async function defaultValidatorToMove(
  kube: KubeGateway,
  record: InstallRecord,
  others: InstallRecord[],
  force: boolean,
): Promise<{ name: string; namespace: string } | undefined> {
  if (record.backend !== 'helm' || !others.length) return undefined;
  const validator = readDefaultValidator(await kube.get<V1ValidatingWebhookConfiguration>(DEFAULT_VALIDATOR_PATH));
  const release = validator?.helmRelease;
  if (!release || validator.revision !== (record.revision || 'default')) return undefined;
  if (defaultValidatorMove(release, others)) return release;
  if (force) return undefined;
  throw preflightError(
    `${DEFAULT_VALIDATOR} (helm release ${release.name}) points at revision ${validator.revision}, and no recorded install ` +
      'says which base chart to move it with',
    `move it first: helm upgrade ${release.name} <base chart> -n ${release.namespace} --reuse-values ` +
      '--set defaultRevision=<another revision>; or pass --force',
  );
}
