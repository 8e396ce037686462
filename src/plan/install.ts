import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Profile } from '../profiles/schema.js';
import { renderIstioOperator } from '../render/istioctl.js';
import { renderHelmReleases, LOCAL_CHART_PATHS, type HelmRelease } from '../render/helm.js';
import { expectedWorkloads, formatWorkload, revisionOf } from '../render/workloads.js';
import { placeholder, type Backend, type KubeTarget, type Plan, type PlanStep } from './types.js';

export const RECORD_NAME = 'mesh-install';
/** Istio's public chart repository, used when no --charts directory is given. */
export const ISTIO_CHART_REPO = 'https://istio-release.storage.googleapis.com/charts';

export interface InstallPlanInput {
  profile: Profile;
  backend: Backend;
  istioNamespace: string;
  target: KubeTarget;
  injectNamespaces: string[];
  timeoutSeconds: number;
  /** Local chart directory (Istio's manifests/charts) for the helm backend; else the chart repository. */
  chartsDir?: string;
  chartVersion?: string;
}

export const renderYaml = (doc: unknown): string => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function kubeFlags(tool: 'istioctl' | 'helm' | 'kubectl', target: KubeTarget): string[] {
  const flags: string[] = [];
  if (target.kubeconfig) flags.push('--kubeconfig', target.kubeconfig);
  if (target.context) flags.push(tool === 'helm' ? '--kube-context' : '--context', target.context);
  return flags;
}

export function injectionLabel(revision: string): Record<string, string> {
  return revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };
}

export function helmChartRef(release: HelmRelease, input: Pick<InstallPlanInput, 'chartsDir' | 'chartVersion'>): string[] {
  if (input.chartsDir) return [`${input.chartsDir.replace(/\/$/, '')}/${LOCAL_CHART_PATHS[release.chart]}`];
  return [release.chart, '--repo', ISTIO_CHART_REPO, ...(input.chartVersion ? ['--version', input.chartVersion] : [])];
}

export function buildInstallPlan(input: InstallPlanInput): Plan {
  const { profile, backend, istioNamespace: ns, target } = input;
  const files: Record<string, string> = {};
  const steps: PlanStep[] = [
    {
      id: 'preflight',
      description: 'check tools, cluster, permissions and any existing install before changing anything',
      checks: ['tools', 'cluster-reachable', 'k8s-version', 'permissions', 'existing-install'],
    },
  ];
  steps.push(
    { id: 'namespace', description: `create namespace ${ns} if it does not exist`, namespace: ns },
    {
      id: 'record',
      description: `record the install in ConfigMap ${ns}/${RECORD_NAME} before changing anything else, so a failed install can be undone`,
      configMap: `${ns}/${RECORD_NAME}`,
      action: 'write',
    },
  );
  if (backend === 'istioctl') {
    const file = 'istio-operator.yaml';
    files[file] = renderYaml(renderIstioOperator(profile, { istioNamespace: ns }));
    steps.push({
      id: 'apply',
      description: `istioctl install profile ${profile.name}`,
      tool: 'istioctl',
      argv: ['install', '-f', placeholder(file), '-y', '--readiness-timeout', `${input.timeoutSeconds}s`, ...kubeFlags('istioctl', target)],
    });
  } else {
    for (const release of renderHelmReleases(profile, { istioNamespace: ns })) {
      const file = `${release.release}.values.yaml`;
      files[file] = renderYaml(release.values);
      steps.push({
        id: 'apply',
        description: `helm upgrade --install ${release.release} (chart ${release.chart}) in ${release.namespace}`,
        tool: 'helm',
        release: release.release,
        chart: release.chart,
        namespace: release.namespace,
        argv: [
          'upgrade', '--install', release.release, ...helmChartRef(release, input),
          '--namespace', release.namespace, '--create-namespace',
          '--values', placeholder(file), ...kubeFlags('helm', target),
        ],
      });
    }
  }
  const workloads = expectedWorkloads(profile, ns);
  if (workloads.length)
    steps.push({
      id: 'wait',
      description: 'watch until every workload has rolled out and its pods are Ready',
      for: workloads.map(formatWorkload),
      timeoutSeconds: input.timeoutSeconds,
    });
  for (const namespace of input.injectNamespaces)
    steps.push({ id: 'label', description: `enable sidecar injection in namespace ${namespace}`, namespace, set: injectionLabel(revisionOf(profile)) });
  steps.push({ id: 'record', description: `mark the install complete in ConfigMap ${ns}/${RECORD_NAME}`, configMap: `${ns}/${RECORD_NAME}`, action: 'complete' });
  return {
    schemaVersion: 1,
    kind: 'InstallPlan',
    backend,
    profile: profile.name,
    revision: revisionOf(profile),
    istioNamespace: ns,
    ...(target.context ? { context: target.context } : {}),
    steps,
    files,
  };
}
