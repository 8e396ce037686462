import type {
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1EndpointSlice,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1Pod,
  V1Service,
  V1StatefulSet,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type { InstallRecord } from '../plan/record.js';

/**
 * `unknown`: the check could not read what it stands on (forbidden, or the read failed), so it
 * says nothing about the mesh — never `fail` or `ok` for something not observed.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip' | 'unknown';
export const CATEGORIES = [
  'kubernetes',
  'install',
  'control-plane',
  'crds',
  'webhooks',
  'gateways',
  'addons',
  'data-plane',
  'config',
] as const;
export type CategoryId = (typeof CATEGORIES)[number];

/** Why a read did not happen: the permission it needed, and whether it was refused or failed. */
export interface ReadError {
  kind: 'forbidden' | 'failed';
  /** The permission, as RBAC spells it: `list deployments.apps in istio-system`. */
  need: string;
  detail: string;
}

/** A list verify made: its items, or why it has none to show. */
export interface Read<T> {
  items: T[];
  error?: ReadError;
}

/** A single object verify read: absent when not found, or why it could not be read. */
export interface Got<T> {
  value?: T;
  error?: ReadError;
}

/** Everything the checks look at, read in a fixed number of requests. Checks are pure functions of this. */
export interface Facts {
  context: string;
  server: string;
  istioNamespace: string;
  /** Where workloads, pods and services were read: the Istio namespace, and others the install record names. */
  workloadNamespaces: string[];
  serverVersion?: { gitVersion: string; minor: number };
  namespace: Got<V1Namespace>;
  record: Got<InstallRecord>;
  recordConfigMap?: V1ConfigMap;
  deployments: Read<V1Deployment>;
  daemonSets: Read<V1DaemonSet>;
  /** Only read when an addon recorded a StatefulSet; otherwise empty. */
  statefulSets: Read<V1StatefulSet>;
  pods: Read<V1Pod>;
  services: Read<V1Service>;
  endpointSlices: Read<V1EndpointSlice>;
  crds: Read<V1CustomResourceDefinition>;
  mutatingWebhooks: Read<V1MutatingWebhookConfiguration>;
  validatingWebhooks: Read<V1ValidatingWebhookConfiguration>;
  namespaces: Read<V1Namespace>;
  /** Pods of the injection-enabled namespaces, by namespace. */
  dataPlanePods: { byNamespace: Map<string, V1Pod[]>; error?: ReadError };
  analyze?: AnalyzeOutcome;
  /** The version of the istioctl that ran analyze (`istioctl version --remote=false`), when it said. */
  istioctlVersion?: string;
}

/** The reads a check can stand on: a fact whose read failed makes the check `unknown`. */
export const READ_NAMES = [
  'namespace',
  'record',
  'deployments',
  'daemonSets',
  'statefulSets',
  'pods',
  'services',
  'endpointSlices',
  'crds',
  'mutatingWebhooks',
  'validatingWebhooks',
  'namespaces',
  'dataPlanePods',
] as const;
export type ReadName = (typeof READ_NAMES)[number];

export type AnalyzeOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'ran'; messages: AnalyzeMessage[] }
  | { status: 'failed'; error: string; forbidden?: boolean };

export interface AnalyzeMessage {
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  message: string;
  origin?: string;
  documentationUrl?: string;
}

/** What a check found: everything but its identity, which the catalog supplies. */
export interface Verdict {
  status: CheckStatus;
  message: string;
  hint?: string;
  objects?: string[];
}

/** One row of the check catalog: identity, documentation and the pure function that judges. */
export interface CheckDefinition {
  id: string;
  category: CategoryId;
  /** The report line: what is being checked. */
  description: string;
  /** README: what `ok` means. */
  means: string;
  /** README: how to fix a failure. */
  fix: string;
  /** The facts `run` looks at: verify reads only what its selected checks declare (`--only`, `--skip`). */
  reads: ReadName[];
  /**
   * Judges the reads themselves (did each succeed?) rather than standing on them: selected, it
   * has every read made that `--skip` leaves.
   */
  judgesEveryRead?: true;
  run(facts: Facts): Verdict;
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  description: string;
  message: string;
  hint?: string;
  objects?: string[];
}

export interface VerifyReport {
  schemaVersion: 1;
  success: boolean;
  durationMs: number;
  apiRequests: number;
  context: string;
  istioNamespace: string;
  summary: Record<CheckStatus, number>;
  categories: Array<{ id: CategoryId; checks: CheckResult[] }>;
}
