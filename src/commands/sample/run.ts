import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { checkNamespace, checkOutput, istioNamespaceOf, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, KubeApiError, type KubeGateway } from '../../adapters/kube.js';
import { ObjectPaths, serverSideApply } from '../../adapters/kube-objects.js';
import { runProcess } from '../../adapters/process.js';
import { formatRef, parseObjects, type AddonObject } from '../../addons/catalog.js';
import { findReleaseDir } from '../../addons/release.js';
import { CliError, ExitCode, preflightError, usageError } from '../../errors.js';
import { ensureNamespace, getNamespace, patchNamespaceLabels, requireRecord, updateRecord } from '../../install/cluster.js';
import { holdLockStep, type HeldLock } from '../../install/lock.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { rolloutsOf } from '../../plan/addons.js';
import type { RecordedSample } from '../../plan/record.js';
import { createProgress, createStepRunner } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { formatWorkload } from '../../render/workloads.js';
import {
  BOOKINFO_APP,
  BOOKINFO_GATEWAY,
  checkPage,
  formatCheck,
  hasSidecar,
  injectionLabels,
  type GatewayMode,
} from '../../samples/bookinfo.js';
import { removeSample } from '../../samples/remove.js';
import { buildSampleRemovalPlan, sampleRemovalPlanToText } from '../../samples/removal-plan.js';
import { recordName } from '../../plan/install.js';
import { runAnalyze } from '../../verify/analyze.js';
import { reachOf } from '../../verify/checks/gateways.js';
import { describeNotReady, waitForRollout } from '../../wait/rollout.js';
import type { SampleOptions } from './options.js';

const FIELD_MANAGER = 'mesh';

function readRelease(dir: string, file: string): { source: string; text: string } {
  const source = join(dir, file);
  if (!existsSync(source))
    throw usageError(
      `${file} is not in ${dir}`,
      'give the directory of an unpacked Istio release (--istio-dir), which has samples/bookinfo',
    );
  return { source, text: readFileSync(source, 'utf8') };
}

/** Where the sample's gateway answers: the ingress gateway's URL (Istio API) or the Gateway's own Service (Gateway API). */
async function productpageUrl(kube: KubeGateway, mode: GatewayMode, istioNs: string, ns: string): Promise<string | undefined> {
  const gatewayNs = mode === 'istio' ? istioNs : ns;
  const selector = mode === 'istio' ? 'istio=ingressgateway' : 'gateway.networking.k8s.io/gateway-name=bookinfo-gateway';
  const [services, deployments, pods] = await Promise.all([
    kube.list<V1Service>(`/api/v1/namespaces/${gatewayNs}/services`, { labelSelector: selector }),
    kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${gatewayNs}/deployments`, { labelSelector: selector }),
    kube.list<V1Pod>(`/api/v1/namespaces/${gatewayNs}/pods`, { labelSelector: selector }),
  ]);
  const service = services.items[0];
  const base = service ? reachOf(service, { deployments, pods }).urls[0] : undefined;
  return base ? `${base}/productpage` : undefined;
}

export async function deployBookinfo(globals: GlobalOptions, options: SampleOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'sample bookinfo');
  const json = output === 'json';
  const istioNs = istioNamespaceOf(globals);
  const ns = checkNamespace(options.namespace, '--namespace');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  if (!(options.gateway in BOOKINFO_GATEWAY))
    throw usageError(`--gateway ${options.gateway}: unknown`, `use one of: ${Object.keys(BOOKINFO_GATEWAY).join(', ')}`);
  const mode = options.gateway as GatewayMode;
  if (!/^\d{1,4}$/.test(options.check)) throw usageError(`--check ${options.check}: not a number of requests`, 'e.g. --check 10');
  const checks = Number(options.check);
  const release = findReleaseDir(options);
  const files = [readRelease(release.dir, BOOKINFO_APP), readRelease(release.dir, BOOKINFO_GATEWAY[mode])];
  const objects: AddonObject[] = files.flatMap((f) => parseObjects(f.source, f.text));

  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const { record } = await requireRecord(kube, istioNs);
  const paths = new ObjectPaths(kube);
  if (
    mode === 'gateway-api' &&
    !(await paths.namespaced({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' }).catch(() => false))
  )
    throw preflightError(
      'the Kubernetes Gateway API is not installed in this cluster (no gateway.networking.k8s.io/v1 Gateway)',
      "install its CRDs (kubectl apply -k 'github.com/kubernetes-sigs/gateway-api/config/crd?ref=v1.4.0'), or use --gateway istio",
    );
  if (mode === 'istio') {
    const gateways = await kube.list<V1Service>(`/api/v1/namespaces/${istioNs}/services`, { labelSelector: 'istio=ingressgateway' });
    if (!gateways.items.length)
      throw preflightError(
        `no ingress gateway (label istio=ingressgateway) in ${istioNs}: bookinfo's Gateway would select nothing`,
        'install a profile with one (mesh install --profile demo), or use --gateway gateway-api',
      );
  }
  for (const o of objects) if (await paths.namespaced(o)) o.namespace = ns;
  const labels = injectionLabels(record.revision);
  if (options.dryRun) {
    const plan = {
      schemaVersion: 1,
      kind: 'SamplePlan',
      sample: 'bookinfo',
      namespace: ns,
      gateway: mode,
      release: release.dir,
      labels,
      objects: objects.map(formatRef),
      waitFor: rolloutsOf(objects).map(formatWorkload),
    };
    process.stdout.write(
      json
        ? `${JSON.stringify(plan, null, 2)}\n`
        : `mesh sample bookinfo (dry run: nothing changed) from ${release.dir}\nlabel namespace ${ns}: ${Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}\n${plan.objects.map((o) => `apply ${o}`).join('\n')}\nthen wait for ${plan.waitFor.join(', ')}\n`,
    );
    return ExitCode.ok;
  }

  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  const steps = createStepRunner(progress);
  let held: HeldLock | undefined;
  const result: { url?: string; check?: Awaited<ReturnType<typeof checkPage>>; analyze?: string[] } = {};
  let failure: CliError | undefined;
  try {
    held = await holdLockStep(kube, istioNs, 'sample', options.waitForLock, steps);
    const existing = await getNamespace(kube, ns);
    const earlier = record.samples?.find((s) => s.name === 'bookinfo' && s.namespace === ns);
    const sample: RecordedSample = earlier ?? {
      name: 'bookinfo',
      namespace: ns,
      sources: files.map((f) => f.source),
      objects: [],
      labels,
      ...(existing
        ? {
            previous: Object.fromEntries(
              Object.keys(labels).flatMap((k): Array<[string, string]> => {
                const value = existing.metadata?.labels?.[k];
                return value === undefined ? [] : [[k, value]];
              }),
            ),
          }
        : {}),
      createdNamespace: !existing,
      installedAt: new Date().toISOString(),
    };
    sample.objects = [
      ...sample.objects.filter((o) => !objects.some((n) => formatRef(n) === formatRef(o))),
      ...objects.map(({ apiVersion, kind, namespace, name }) => ({ apiVersion, kind, ...(namespace ? { namespace } : {}), name })),
    ];
    await steps.run(
      { id: 'namespace', description: `label ${ns} for injection` },
      `label ${ns} for injection`,
      async () => {
        // A re-run says so, and changes nothing, where the labels are there already.
        if (existing && Object.entries(labels).every(([k, v]) => existing.metadata?.labels?.[k] === v)) return 'already labelled';
        if (!existing) await ensureNamespace(kube, ns);
        await patchNamespaceLabels(kube, ns, labels);
        return existing ? 'labelled' : 'created and labelled';
      },
      (d) => d,
    );
    // Recorded before anything is applied: whatever happens next, `mesh sample remove` can undo it.
    await steps.run({ id: 'record', description: 'record the sample' }, 'record the sample', async () => {
      await updateRecord(kube, istioNs, (record) => ({
        samples: [...(record.samples ?? []).filter((s) => !(s.name === 'bookinfo' && s.namespace === ns)), sample],
      }));
    });
    await steps.run(
      { id: 'apply', description: 'apply bookinfo' },
      `apply bookinfo and its ${mode} gateway (${objects.length} objects)`,
      async () => {
        for (const o of objects) {
          try {
            await serverSideApply(
              kube,
              paths,
              o,
              { ...o.body, metadata: { ...(o.body.metadata as object), ...(o.namespace ? { namespace: o.namespace } : {}) } },
              { fieldManager: FIELD_MANAGER },
            );
          } catch (error) {
            if (error instanceof KubeApiError && error.status === 409)
              throw new CliError(
                `${formatRef(o)}: ${error.reason}`,
                ExitCode.preflight,
                'another tool manages these fields: remove the object first',
              );
            throw error;
          }
        }
      },
    );
    const workloads = rolloutsOf(objects);
    await steps.run(
      { id: 'wait', description: 'wait for bookinfo' },
      `wait for ${workloads.length} Deployments`,
      async () => {
        const rollout = await waitForRollout(kube, workloads, timeoutSeconds);
        if (!rollout.ready)
          throw new CliError(
            `not ready after ${options.timeout}: ${describeNotReady(rollout.notReady)}`,
            ExitCode.verifyFailed,
            'the sample is applied and recorded: `kubectl describe` the pods, or `mesh sample remove bookinfo`',
          );
        return `ready in ${(rollout.elapsedMs / 1000).toFixed(1)}s`;
      },
      (d) => d,
    );
    await steps.run(
      { id: 'sidecars', description: 'check every pod got a sidecar' },
      'check every pod got a sidecar',
      async () => {
        const pods = await kube.list<V1Pod>(`/api/v1/namespaces/${ns}/pods`);
        const mine = pods.items.filter(
          (p) =>
            workloads.some((w) => p.metadata?.labels?.app && w.name.startsWith(`${p.metadata.labels.app}-`)) &&
            !p.metadata?.deletionTimestamp,
        );
        const without = mine.filter((p) => !hasSidecar(p)).map((p) => p.metadata?.name ?? '?');
        if (without.length)
          throw new CliError(
            `${without.length} of ${mine.length} pods have no istio-proxy: ${without.join(', ')}`,
            ExitCode.verifyFailed,
            'the injection webhook did not act on them: see `mesh verify` (webhooks, injection) and restart them once it does',
          );
        return `${mine.length} of ${mine.length} pods injected`;
      },
      (d) => d,
    );
    const istioctl = options.istioctl ?? resolveIstioRelease(options).istioctl;
    result.analyze = await steps.run(
      { id: 'analyze', description: `istioctl analyze -n ${ns}` },
      `istioctl analyze -n ${ns}`,
      async () => {
        const outcome = await runAnalyze(
          runProcess,
          istioctl,
          { kubeconfig: globals.kubeconfig, context: globals.context },
          { namespace: ns },
        );
        if (outcome.status === 'ran') return outcome.messages.map((m) => `${m.level} ${m.code} ${m.message}`);
        return [`analyze ${outcome.status}: ${outcome.status === 'skipped' ? outcome.reason : outcome.error}`];
      },
      (lines) => (lines.length ? `${lines.length} message(s): ${lines.slice(0, 3).join(' | ')}` : 'no problems found'),
    );
    result.url = await productpageUrl(kube, mode, istioNs, ns);
    if (checks > 0) {
      if (!result.url)
        throw new CliError('no address for the gateway to send requests to', ExitCode.verifyFailed, 'see `mesh verify` (gateway-services)');
      const url = result.url;
      result.check = await steps.run(
        { id: 'check', description: 'request /productpage' },
        `send ${checks} requests to ${url}`,
        () => checkPage(url, checks),
        formatCheck,
      );
      if (!result.check.ok)
        throw new CliError(
          formatCheck(result.check),
          ExitCode.verifyFailed,
          'the gateway does not answer 200: `mesh verify`, and `istioctl proxy-status` for the routes',
        );
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    failure = error;
  } finally {
    await held?.release();
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify(
        {
          schemaVersion: 1,
          kind: 'SampleResult',
          sample: 'bookinfo',
          namespace: ns,
          success: !failure,
          ...(result.url ? { productpage: result.url } : {}),
          ...(result.check ? { check: result.check } : {}),
          ...(result.analyze ? { analyze: result.analyze } : {}),
          steps: steps.outcomes,
          ...(failure ? { error: { message: failure.message, hint: failure.hint, exitCode: failure.exitCode } } : {}),
        },
        null,
        2,
      )}\n`,
    );
  if (failure) {
    if (json) return failure.exitCode;
    throw failure;
  }
  if (!json)
    progress.note(
      `bookinfo is running in ${ns}; productpage: ${result.url ?? 'no gateway address yet (see mesh verify)'}\n` +
        `remove it with: mesh sample remove bookinfo --namespace ${ns}`,
    );
  return ExitCode.ok;
}

export async function removeSampleCommand(globals: GlobalOptions, name: string, options: SampleOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'sample remove');
  const json = output === 'json';
  if (name !== 'bookinfo') throw usageError(`sample ${name}: unknown`, 'mesh knows: bookinfo');
  const istioNs = istioNamespaceOf(globals);
  const ns = checkNamespace(options.namespace, '--namespace');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const { record } = await requireRecord(kube, istioNs);
  const sample = record.samples?.find((s) => s.name === name && s.namespace === ns);
  const progress = createProgress(outputStyle({ color: globals.color, machine: json }));
  if (!sample) {
    const message = `nothing to remove: mesh deployed no ${name} in ${ns}`;
    if (json)
      process.stdout.write(
        `${JSON.stringify({ schemaVersion: 1, kind: 'SampleResult', success: true, changed: false, message }, null, 2)}\n`,
      );
    else progress.note(message);
    return ExitCode.ok;
  }
  if (options.dryRun) {
    const plan = buildSampleRemovalPlan(sample, kube.context, `ConfigMap/${istioNs}/${recordName(record.revision)}`);
    process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : sampleRemovalPlanToText(plan));
    return ExitCode.ok;
  }
  const steps = createStepRunner(progress);
  let held: HeldLock | undefined;
  try {
    held = await holdLockStep(kube, istioNs, 'sample', options.waitForLock, steps);
    await steps.run(
      { id: 'delete', description: `remove ${name} from ${ns}` },
      `remove ${name} from ${ns}`,
      () => removeSample(kube, sample, timeoutSeconds),
      (d) => d,
    );
    await steps.run({ id: 'record', description: 'update the install record' }, 'update the install record', async () => {
      await updateRecord(kube, istioNs, (record) => ({
        samples: (record.samples ?? []).filter((s) => !(s.name === name && s.namespace === ns)),
      }));
    });
  } finally {
    await held?.release();
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, kind: 'SampleResult', success: true, changed: true, steps: steps.outcomes }, null, 2)}\n`,
    );
  else progress.note(`removed ${name} from ${ns}`);
  return ExitCode.ok;
}
