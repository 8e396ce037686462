import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { preflightError } from '../errors.js';

/**
 * `istiod-default-validator` validates Istio config that names no revision. istioctl's default tag
 * owns it; on the helm backend the base chart renders it for its `defaultRevision` value (the
 * chart's default: `default`, i.e. Service `istiod`). Left pointing at a revision without an
 * istiod, every Istio config write fails (istio/istio#35590, #28880).
 */
export const DEFAULT_VALIDATOR = 'istiod-default-validator';
export const DEFAULT_VALIDATOR_PATH = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${DEFAULT_VALIDATOR}`;

export interface DefaultValidator {
  revision: string;
  /** The helm release that owns it (the base chart's), when helm does. */
  helmRelease?: { name: string; namespace: string };
}

export function readDefaultValidator(webhook: V1ValidatingWebhookConfiguration | undefined): DefaultValidator | undefined {
  if (!webhook) return undefined;
  const annotations = webhook.metadata?.annotations ?? {};
  const name = annotations['meta.helm.sh/release-name'];
  const namespace = annotations['meta.helm.sh/release-namespace'];
  return {
    revision: webhook.metadata?.labels?.['istio.io/rev'] || 'default',
    ...(name && namespace ? { helmRelease: { name, namespace } } : {}),
  };
}

/**
 * Refuses a helm install whose base chart would point the default validator at a revision that
 * will have no istiod: a revision-only install (the chart's default names `istiod`), or a converge
 * of a canary after the old default was removed. The hint keeps it where it works.
 */
export function judgeBaseDefaultRevision(input: {
  /** The base chart's defaultRevision this install renders ('' renders no validator); undefined: no base chart. */
  baseDefaultRevision: string | undefined;
  installing: string;
  running: string[];
  live: DefaultValidator | undefined;
}): void {
  const target = input.baseDefaultRevision;
  if (target === undefined || target === '' || target === input.installing || input.running.includes(target)) return;
  const keep = input.live && input.running.includes(input.live.revision) ? input.live.revision : input.installing;
  throw preflightError(
    `the base chart would point Istio's default validation (${DEFAULT_VALIDATOR}) at revision ${target}, which has no istiod` +
      (input.live ? ` (it points at ${input.live.revision} now)` : '') +
      ': every Istio config write would fail',
    `pass --set values.defaultRevision=${keep}`,
  );
}
