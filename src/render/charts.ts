/** Istio's Helm charts, as mesh's helm backend installs them. */
import type { Tree } from '../profiles/merge.js';
export type ChartName = 'base' | 'istiod' | 'cni' | 'ztunnel' | 'gateway';

/** One `helm upgrade --install`: which chart, as which release, where, with which values. */
export interface HelmRelease {
  chart: ChartName;
  release: string;
  namespace: string;
  values: Tree;
}

/** Where each chart lives inside an Istio release's manifests/charts, for `--charts <dir>`. */
export const LOCAL_CHART_PATHS: Record<ChartName, string> = {
  base: 'base',
  istiod: 'istio-control/istio-discovery',
  cni: 'istio-cni',
  ztunnel: 'ztunnel',
  gateway: 'gateway',
};
