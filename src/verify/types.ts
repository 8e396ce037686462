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
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type { InstallRecord } from '../plan/record.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export const CATEGORIES = ['kubernetes', 'install', 'control-plane', 'crds', 'webhooks', 'gateways', 'data-plane', 'config'] as const;
export type CategoryId = (typeof CATEGORIES)[number];

export interface CheckResult {
  id: string;
  category: CategoryId;
  status: CheckStatus;
  description: string;
  message: string;
  hint?: string;
  objects?: string[];
}

/** A read that may be forbidden: verify reports it instead of crashing. */
export interface Read<T> {
  items: T[];
  forbidden?: string;
}

/** Everything the checks look at, read in a fixed number of requests. Checks are pure functions of this. */
export interface Facts {
  context: string;
  server: string;
  istioNamespace: string;
  serverVersion?: { gitVersion: string; minor: number };
  namespace?: V1Namespace;
  record?: InstallRecord;
  recordConfigMap?: V1ConfigMap;
  deployments: Read<V1Deployment>;
  daemonSets: Read<V1DaemonSet>;
  pods: Read<V1Pod>;
  services: Read<V1Service>;
  endpointSlices: Read<V1EndpointSlice>;
  crds: Read<V1CustomResourceDefinition>;
  mutatingWebhooks: Read<V1MutatingWebhookConfiguration>;
  validatingWebhooks: Read<V1ValidatingWebhookConfiguration>;
  namespaces: Read<V1Namespace>;
  /** Pods of the injection-enabled namespaces, by namespace. */
  dataPlanePods: Map<string, V1Pod[]>;
  analyze?: AnalyzeOutcome;
}

export type AnalyzeOutcome =
  { status: 'skipped'; reason: string } | { status: 'ran'; messages: AnalyzeMessage[] } | { status: 'failed'; error: string };

export interface AnalyzeMessage {
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  message: string;
  origin?: string;
  documentationUrl?: string;
}

export interface VerifyReport {
  schemaVersion: 1;
  success: boolean;
  durationMs: number;
  apiRequests: number;
  context: string;
  istioNamespace: string;
  summary: Record<CheckStatus, number>;
  categories: Array<{ id: CategoryId; checks: Array<Omit<CheckResult, 'category'>> }>;
}
