import { installChecks, kubernetesChecks } from './checks/cluster.js';
import { controlPlaneChecks, crdChecks } from './checks/control-plane.js';
import { configChecks, dataPlaneChecks } from './checks/data-plane.js';
import { addonChecks } from './checks/addons.js';
import { gatewayChecks } from './checks/gateways.js';
import { webhookChecks } from './checks/webhooks.js';
import type { CheckDefinition } from './types.js';

/**
 * Every check verify runs, in report order: one table, like `linkerd check`'s checkers. The
 * `--only`/`--skip` names, the README's check list, JSON and JUnit names all come from here.
 */
export const CHECKS: readonly CheckDefinition[] = [
  ...kubernetesChecks,
  ...installChecks,
  ...controlPlaneChecks,
  ...crdChecks,
  ...webhookChecks,
  ...gatewayChecks,
  ...addonChecks,
  ...dataPlaneChecks,
  ...configChecks,
];

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);
