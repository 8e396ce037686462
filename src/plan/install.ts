import { createHash } from 'node:crypto';
import { toYaml } from '../profiles/load.js';
import type { Profile } from '../profiles/schema.js';
import { renderIstioOperator } from '../render/istioctl.js';
import { renderHelmReleases } from '../render/helm.js';
import { LOCAL_CHART_PATHS, type HelmRelease } from '../render/charts.js';
import { formatWorkload, type InstallContents } from '../render/workloads.js';
import { LOCK_NAME } from '../install/lock-name.js';
import type { KubeTarget } from '../adapters/kube.js';
import { placeholder, type Backend, type Plan, type PlanStep } from './types.js';

export const RECORD_NAME = 'mesh-install';
/** One record per control plane: `mesh-install` for the default revision, `mesh-install-<rev>` beside it. */
export const recordName = (revision: string): string => (revision && revision !== 'default' ? `${RECORD_NAME}-${revision}` : RECORD_NAME);
/** Istio's public chart repository, used when neither --charts nor --chart-repo is given. */
export const ISTIO_CHART_REPO = 'https://istio-release.storage.googleapis.com/charts';

export interface InstallPlanInput {
  profile: Profile;
  contents: InstallContents;
  backend: Backend;
  target: KubeTarget;
  injectNamespaces: string[];
  timeoutSeconds: number;
  /** Local chart directory (Istio's manifests/charts) for the helm backend; else the chart repository. */
  chartsDir?: string;
  chartVersion?: string;
  /** The chart repository when there is no chartsDir (--chart-repo, a checked http(s) URL); else Istio's. */
  chartRepo?: string;
}

export const renderYaml = toYaml;
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

export function helmChartRef(release: HelmRelease, input: Pick<InstallPlanInput, 'chartsDir' | 'chartVersion' | 'chartRepo'>): string[] {
  if (input.chartsDir) return [`${input.chartsDir.replace(/\/$/, '')}/${LOCAL_CHART_PATHS[release.chart]}`];
  const repo = input.chartRepo ?? ISTIO_CHART_REPO;
  return [release.chart, '--repo', repo, ...(input.chartVersion ? ['--version', input.chartVersion] : [])];
}

export function buildInstallPlan(input: InstallPlanInput): Plan {
  const { profile, contents, backend, target } = input;
  const ns = contents.istioNamespace;
  const files: Record<string, string> = {};
  const steps: PlanStep[] = [
    {
      id: 'preflight',
      description: 'check tools, cluster, permissions and any existing install before changing anything',
      checks: [
        ...(backend === 'istioctl' ? ['tools', 'istioctl-accepts-spec'] : ['tools', 'helm-accepts-values']),
        'cluster-reachable',
        'k8s-version',
        'permissions',
        'existing-install',
        'install-lock',
      ],
    },
  ];
  // istioctl does not create the namespaces components are put in (a gateway in istio-ingress),
  // so mesh creates each one missing, and records it for uninstall.
  for (const namespace of new Set([ns, ...contents.components.map((c) => c.namespace)]))
    steps.push({ id: 'namespace', description: `create namespace ${namespace} if it does not exist`, namespace });
  steps.push({
    id: 'lock',
    description: `take the install lock (Lease ${ns}/${LOCK_NAME}) so no other mesh run changes ${ns} meanwhile`,
    lease: `${ns}/${LOCK_NAME}`,
  });
  steps.push({
    id: 'record',
    description:
      `record the install in ConfigMap ${ns}/${recordName(contents.revision)} before changing anything else, ` +
      'so a failed install can be undone',
    configMap: `${ns}/${recordName(contents.revision)}`,
    action: 'write',
  });
  if (backend === 'istioctl') {
    const file = 'istio-operator.yaml';
    files[file] = renderYaml(renderIstioOperator(profile));
    steps.push({
      id: 'apply',
      description: `istioctl install profile ${profile.name}`,
      tool: 'istioctl',
      argv: ['install', '-f', placeholder(file), '--readiness-timeout', `${input.timeoutSeconds}s`, ...kubeFlags('istioctl', target)],
      // istioctl's own render and checks of the spec are preflight's spec check: bad input changes nothing.
      heldAtPrompt: true,
    });
  } else {
    for (const release of renderHelmReleases(profile, contents)) {
      if (release.chart === 'base')
        steps.push({
          id: 'adopt-crds',
          description:
            `let release ${release.release} adopt the Istio CRDs no helm release owns ` +
            "(an istioctl install leaves them), as Istio's migration steps do",
          release: release.release,
          namespace: release.namespace,
        });
      const file = `${release.release}.values.yaml`;
      files[file] = renderYaml(release.values);
      steps.push({
        id: 'apply',
        description: `helm upgrade --install ${release.release} (chart ${release.chart}) in ${release.namespace}`,
        tool: 'helm',
        release: release.release,
        chart: release.chart,
        chartRef: helmChartRef(release, input),
        namespace: release.namespace,
        argv: [
          'upgrade',
          '--install',
          release.release,
          ...helmChartRef(release, input),
          '--namespace',
          release.namespace,
          '--create-namespace',
          // The release's values are exactly this render: without it helm keeps the last release's
          // values when the new file is empty, so an overlay the user dropped would stay applied.
          '--reset-values',
          '--values',
          placeholder(file),
          ...kubeFlags('helm', target),
        ],
      });
    }
  }
  const workloads = contents.workloads;
  if (workloads.length)
    steps.push({
      id: 'wait',
      description: 'watch until every workload has rolled out and its pods are Ready',
      for: workloads.map(formatWorkload),
      timeoutSeconds: input.timeoutSeconds,
    });
  for (const namespace of input.injectNamespaces)
    steps.push({
      id: 'label',
      description: `enable sidecar injection in namespace ${namespace}`,
      namespace,
      set: injectionLabel(contents.revision),
    });
  steps.push({
    id: 'record',
    description: `mark the install complete in ConfigMap ${ns}/${recordName(contents.revision)}`,
    configMap: `${ns}/${recordName(contents.revision)}`,
    action: 'complete',
  });
  return {
    schemaVersion: 1,
    kind: 'InstallPlan',
    backend,
    profile: profile.name,
    revision: contents.revision,
    istioNamespace: ns,
    ...(target.context ? { context: target.context } : {}),
    steps,
    files,
  };
}
