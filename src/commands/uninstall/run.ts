import type { UninstallOptions } from './options.js';
import type { V1ConfigMap, V1CustomResourceDefinition, V1Namespace } from '@kubernetes/client-node';
import { istioNamespaceOf, checkOutput, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, KubeApiError, type KubeGateway } from '../../adapters/kube.js';
import { Informer } from '../../adapters/informer.js';
import { runProcess, ToolFailedError, type Runner } from '../../adapters/process.js';
import { withRenderedFiles } from '../../adapters/tempfiles.js';
import { CliError, ExitCode, usageError } from '../../errors.js';
import { deleteRecord, patchNamespaceLabels, readRecord } from '../../install/cluster.js';
import { buildUninstallPlan } from '../../plan/uninstall.js';
import { planToJson, planToText } from '../../plan/format.js';
import { createProgress } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { confirm } from '../../report/confirm.js';

export async function uninstall(
  globals: GlobalOptions,
  options: UninstallOptions,
  deps: { run?: Runner; kube?: KubeGateway } = {},
): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'uninstall');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const ns = istioNamespaceOf(globals);
  if (!options.dryRun && !options.yes && !process.stdin.isTTY)
    throw usageError(
      'uninstall needs confirmation, and stdin is not a terminal',
      'pass -y to uninstall without asking (or --dry-run to see the plan)',
    );
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = deps.kube ?? (await createKubeGateway(target));
  const { record } = await readRecord(kube, ns);
  const json = output === 'json';
  if (!record) {
    const message = `nothing to uninstall: no mesh install record in namespace ${ns} (context ${kube.context})`;
    if (json)
      process.stdout.write(
        `${JSON.stringify({ schemaVersion: 1, kind: 'UninstallResult', success: true, changed: false, message }, null, 2)}\n`,
      );
    else process.stderr.write(`${message}\n`);
    return ExitCode.ok;
  }
  const plan = buildUninstallPlan({ record, purge: Boolean(options.purge), target, timeoutSeconds });
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
  const done: Array<{ id: string; description: string; detail?: string }> = [];
  await withRenderedFiles(plan.files, async (resolveArgv) => {
    for (const step of plan.steps) {
      const handle = await progress.step(step.description);
      let detail: string | undefined;
      try {
        if (step.id === 'preflight')
          detail = `record found: profile ${record.profile}, backend ${record.backend}, installed ${record.installedAt}`;
        else if (step.id === 'label') {
          const patch: Record<string, string | null> = {
            ...Object.fromEntries((step.remove ?? []).map((k) => [k, null])),
            ...(step.set ?? {}),
          };
          try {
            await patchNamespaceLabels(kube, step.namespace, patch);
          } catch (error) {
            if (!(error instanceof KubeApiError && error.status === 404)) throw error;
            detail = 'namespace is gone';
          }
        } else if (step.id === 'apply') {
          const tool = step.tool === 'istioctl' ? options.istioctl : options.helm;
          const result = await run(tool, resolveArgv(step.argv));
          // helm says "not found" for a release already removed: that is the state we want.
          if (result.exitCode !== 0 && !(step.tool === 'helm' && /not found/i.test(result.stderr)))
            throw new ToolFailedError(step.tool, step.argv, result);
          if (result.exitCode !== 0) detail = 'already removed';
        } else if (step.id === 'delete') {
          if (step.what[0]?.startsWith('CustomResourceDefinition')) detail = `${await deleteIstioCrds(kube)} CRDs deleted`;
          else if (step.what[0]?.startsWith('ConfigMap/')) detail = `${await deleteRootCertCopies(kube)} deleted`;
          else {
            const names = step.what.map((w) => w.replace(/^Namespace\//, ''));
            await deleteNamespacesAndWait(kube, names, step.waitSeconds ?? timeoutSeconds);
            detail = `${names.join(', ')} gone`;
          }
        } else if (step.id === 'record') {
          detail = (await deleteRecord(kube, ns)) ? 'deleted' : 'already gone';
        }
        handle.succeed(detail ? `${step.description}: ${detail}` : step.description);
        done.push({ id: step.id, description: step.description, ...(detail ? { detail } : {}) });
      } catch (error) {
        handle.fail(`${step.description}: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    }
  });
  if (json)
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, kind: 'UninstallResult', success: true, changed: true, steps: done }, null, 2)}\n`,
    );
  else
    progress.note(
      `uninstalled profile ${record.profile} (${record.backend}) from ${ns}` +
        `${options.purge ? '' : '; Istio CRDs kept (use --purge to remove them)'}`,
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

/** Deletes namespaces and watches until they are gone (finalizers need kube-controller-manager). */
async function deleteNamespacesAndWait(kube: KubeGateway, names: string[], timeoutSeconds: number): Promise<void> {
  const informer = new Informer<V1Namespace & { metadata: { name: string } }>(kube, '/api/v1/namespaces');
  let finish!: () => void;
  const gone = new Promise<void>((resolve) => (finish = resolve));
  const check = () => {
    if (names.every((n) => !informer.items.has(`/${n}`))) finish();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  try {
    await informer.start(check, timeoutSeconds);
    for (const name of names) await kube.remove(`/api/v1/namespaces/${name}`);
    check();
    await gone;
  } finally {
    clearTimeout(timer);
    informer.stop();
  }
  const left = names.filter((n) => informer.items.has(`/${n}`));
  if (left.length)
    throw new CliError(
      `namespace ${left.join(', ')} still Terminating after ${timeoutSeconds}s`,
      ExitCode.verifyFailed,
      `see what blocks it: kubectl get namespace ${left[0]} -o yaml (finalizers, conditions)`,
    );
}
