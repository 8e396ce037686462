import { IstioctlMemo } from '../adapters/istioctl-memo.js';
import { runChecked, ToolFailedError, type Runner } from '../adapters/tool-run.js';
import { withRenderedFiles } from '../adapters/tempfiles.js';
import type { KubeTarget } from '../adapters/kube.js';
import type { InstallRecord } from '../plan/record.js';
import { kubeFlags } from '../plan/install.js';
import type { Plan } from '../plan/types.js';
import type { RenderedSet } from './compare.js';
import { parse } from 'yaml';
import { YAML_OPTIONS } from '../profiles/load.js';
import { isTree } from '../profiles/merge.js';
import { asIstioctlInstalls } from './istioctl-install.js';
import { parseManifests, type ManifestObject } from './objects.js';
import { chartDownloadError, downloadFailure, helmComplaint, templateArgv, type ApplyStep } from '../plan/helm-commands.js';

/**
 * The Kubernetes objects an install would apply, rendered by the installer itself: `istioctl
 * manifest generate` of the IstioOperator, `helm template` of each release with its values.
 */
export interface Tools {
  run: Runner;
  istioctl: string;
  helm: string;
}

export async function renderPlanManifests(plan: Plan, tools: Tools, kubernetesVersion: string): Promise<RenderedSet[]> {
  if (plan.backend === 'istioctl') {
    const spec = plan.files['istio-operator.yaml'];
    return [{ namespace: plan.istioNamespace, objects: await istioctlManifests(tools, spec) }];
  }
  const releases = plan.steps.filter((s): s is ApplyStep & { namespace: string } => s.id === 'apply' && s.tool === 'helm' && !!s.namespace);
  // Every release renders at once (the base chart's CRDs are the wait either way); the first failure in plan order is the answer.
  return withRenderedFiles(plan.files, (resolveArgv) =>
    inPlanOrder(
      releases.map(async (step): Promise<RenderedSet> => {
        const argv = [...resolveArgv(templateArgv(step)), '--kube-version', kubernetesVersion];
        const result = await tools.run(tools.helm, argv);
        if (result.exitCode !== 0) {
          const complaint = helmComplaint(result.stderr);
          const failure = step.chartRef && downloadFailure(step.chartRef, complaint);
          if (failure) throw chartDownloadError({ release: step.release ?? argv[1], chartRef: step.chartRef!, complaint, ...failure });
          throw new ToolFailedError('helm', argv, result);
        }
        return { namespace: step.namespace, objects: parseManifests(result.stdout) };
      }),
    ),
  );
}

/** The answers of work started at once, in the order it was started; the first failure in that order is thrown. */
async function inPlanOrder<T>(started: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(started);
  return settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
}

/** What `istioctl install -f spec` applies: `manifest generate` of it, with install's own edits. */
async function istioctlManifests(tools: Tools, spec: string | undefined): Promise<ManifestObject[]> {
  if (!spec) return [];
  const istioOperator: unknown = parse(spec, YAML_OPTIONS);
  return asIstioctlInstalls(await generatedObjects(tools, spec), isTree(istioOperator) ? istioOperator : {});
}

/** `manifest generate` of the spec, parsed; remembered per istioctl binary and spec (IstioctlMemo). */
async function generatedObjects(tools: Tools, spec: string): Promise<ManifestObject[]> {
  const memo = new IstioctlMemo();
  const known = memo.manifest(tools.istioctl, spec);
  if (known !== undefined) return JSON.parse(known) as ManifestObject[];
  const generated = await runChecked(tools.run, tools.istioctl, ['manifest', 'generate', '-f', '-'], { input: spec });
  const objects = parseManifests(generated.stdout);
  // Kept only when JSON gives back exactly what YAML said (no .inf or .nan, which JSON cannot hold).
  if (jsonExact(objects)) memo.rememberManifest(tools.istioctl, spec, JSON.stringify(objects));
  return objects;
}

/** Whether a parsed YAML value survives a JSON round trip unchanged. */
export function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(jsonExact);
  if (isTree(value) && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value).every(jsonExact);
  return false;
}

/**
 * What the recorded install applied: `helm get manifest` of each recorded release (exactly what
 * helm applied), or the recorded IstioOperator rendered again. Undefined when the record cannot
 * say (an install made by mesh 0.1 with the istioctl backend kept no spec).
 */
export async function renderRecordedManifests(record: InstallRecord, tools: Tools, target: KubeTarget): Promise<RenderedSet[] | undefined> {
  if (record.backend === 'istioctl')
    return record.renderedSpec
      ? [{ namespace: record.istioNamespace, objects: await istioctlManifests(tools, record.renderedSpec) }]
      : undefined;
  const sets = await inPlanOrder(
    record.releases.map(async (release): Promise<RenderedSet | undefined> => {
      const argv = ['get', 'manifest', release.release, '--namespace', release.namespace, ...kubeFlags('helm', target)];
      const result = await tools.run(tools.helm, argv);
      // A release uninstalled by hand has nothing left to compare.
      if (result.exitCode !== 0 && /not found/i.test(result.stderr)) return undefined;
      if (result.exitCode !== 0) throw new ToolFailedError('helm', argv, result);
      return { namespace: release.namespace, objects: parseManifests(result.stdout) };
    }),
  );
  return sets.filter((set) => set !== undefined);
}
