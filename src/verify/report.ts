import { kubernetesChecks, installChecks } from './checks/cluster.js';
import { controlPlaneChecks, crdChecks } from './checks/control-plane.js';
import { webhookChecks, gatewayChecks } from './checks/webhooks.js';
import { dataPlaneChecks, configChecks } from './checks/data-plane.js';
import { CATEGORIES, type CategoryId, type CheckResult, type CheckStatus, type Facts, type VerifyReport } from './types.js';

const CHECKS: Record<CategoryId, (facts: Facts) => CheckResult[]> = {
  kubernetes: kubernetesChecks,
  install: installChecks,
  'control-plane': controlPlaneChecks,
  crds: crdChecks,
  webhooks: webhookChecks,
  gateways: gatewayChecks,
  'data-plane': dataPlaneChecks,
  config: (facts) => configChecks(facts.analyze),
};

export interface Selection {
  only: string[];
  skip: string[];
  strict: boolean;
}

/** Runs the selected checks over the facts (pure) and decides success the same way for every output. */
export function buildReport(facts: Facts, selection: Selection, meta: { durationMs: number; apiRequests: number }): VerifyReport {
  const categories: VerifyReport['categories'] = [];
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const id of CATEGORIES) {
    if (selection.only.length && !selection.only.includes(id)) continue;
    if (selection.skip.includes(id)) continue;
    const checks = CHECKS[id](facts)
      .filter((c) => !selection.skip.includes(c.id))
      .map(({ category: _category, ...rest }) => rest);
    for (const c of checks) summary[c.status]++;
    categories.push({ id, checks });
  }
  const success = summary.fail === 0 && (!selection.strict || summary.warn === 0);
  return {
    schemaVersion: 1,
    success,
    durationMs: meta.durationMs,
    apiRequests: meta.apiRequests,
    context: facts.context,
    istioNamespace: facts.istioNamespace,
    summary,
    categories,
  };
}

/** Check ids known to verify, for validating --skip. */
export const KNOWN_CHECK_IDS = [
  'kubernetes-api',
  'kubernetes-version',
  'kubernetes-permissions',
  'install-namespace',
  'install-record',
  'install-drift',
  'control-plane-available',
  'control-plane-pods',
  'crds-present',
  'crds-established',
  'webhook-injector',
  'webhook-validation',
  'webhook-ca-bundle',
  'webhook-service',
  'gateway-services',
  'data-plane-namespaces',
  'data-plane-injection',
  'data-plane-version',
  'config-analyze',
];
