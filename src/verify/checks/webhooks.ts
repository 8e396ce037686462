import type { AdmissionregistrationV1WebhookClientConfig } from '@kubernetes/client-node';
import type { CheckResult, Facts } from '../types.js';
import { result } from './shared.js';

interface Hook {
  config: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  name: string;
  clientConfig: AdmissionregistrationV1WebhookClientConfig;
}

function istioHooks(facts: Facts): { injector: Hook[]; validation: Hook[] } {
  const ns = facts.istioNamespace;
  const ours = (
    labels: Record<string, string> | undefined,
    name: string,
    hooks: Array<{ clientConfig: AdmissionregistrationV1WebhookClientConfig }>,
  ) => hooks.some((h) => h.clientConfig.service?.namespace === ns) || labels?.['istio.io/rev'] !== undefined || /istio/.test(name);
  const injector = facts.mutatingWebhooks.items
    .filter(
      (c) =>
        (c.metadata?.labels?.app === 'sidecar-injector' || /sidecar-injector|revision-tag/.test(c.metadata?.name ?? '')) &&
        ours(c.metadata?.labels, c.metadata?.name ?? '', c.webhooks ?? []),
    )
    .flatMap((c) =>
      (c.webhooks ?? []).map((h) => ({
        config: c.metadata!.name!,
        kind: 'MutatingWebhookConfiguration' as const,
        name: h.name,
        clientConfig: h.clientConfig,
      })),
    );
  const validation = facts.validatingWebhooks.items
    .filter(
      (c) =>
        (c.metadata?.labels?.app === 'istiod' || /istio/.test(c.metadata?.name ?? '')) &&
        ours(c.metadata?.labels, c.metadata?.name ?? '', c.webhooks ?? []),
    )
    .flatMap((c) =>
      (c.webhooks ?? []).map((h) => ({
        config: c.metadata!.name!,
        kind: 'ValidatingWebhookConfiguration' as const,
        name: h.name,
        clientConfig: h.clientConfig,
      })),
    );
  return { injector, validation };
}

/** Ready endpoints behind a Service in the Istio namespace, from the listed EndpointSlices. */
function readyEndpoints(facts: Facts, service: string): number {
  return facts.endpointSlices.items
    .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === service)
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false).length;
}

export function webhookChecks(facts: Facts): CheckResult[] {
  const out: CheckResult[] = [];
  const { injector, validation } = istioHooks(facts);
  const configs = (hooks: Hook[]) => [...new Set(hooks.map((h) => `${h.kind}/${h.config}`))];
  if (injector.length)
    out.push(
      result(
        'webhooks',
        'webhook-injector',
        'sidecar injector webhook configured',
        'ok',
        `${configs(injector)
          .map((c) => c.split('/')[1])
          .join(', ')} (${injector.length} webhooks)`,
        undefined,
        configs(injector),
      ),
    );
  else
    out.push(
      result(
        'webhooks',
        'webhook-injector',
        'sidecar injector webhook configured',
        'fail',
        'no MutatingWebhookConfiguration for the Istio sidecar injector',
        're-run `mesh install`; without it new pods get no sidecar',
      ),
    );
  if (validation.length)
    out.push(
      result(
        'webhooks',
        'webhook-validation',
        'config validation webhook configured',
        'ok',
        `${configs(validation)
          .map((c) => c.split('/')[1])
          .join(', ')}`,
        undefined,
        configs(validation),
      ),
    );
  else
    out.push(
      result(
        'webhooks',
        'webhook-validation',
        'config validation webhook configured',
        'warn',
        'no ValidatingWebhookConfiguration for Istio config',
        'set values.global.configValidation=true and re-run `mesh install`; invalid Istio config is accepted silently without it',
      ),
    );

  const all = [...injector, ...validation];
  const noCa = all.filter((h) => !h.clientConfig.caBundle);
  if (!all.length) out.push(result('webhooks', 'webhook-ca-bundle', 'webhook caBundle set', 'skip', 'no Istio webhooks'));
  else if (noCa.length)
    out.push(
      result(
        'webhooks',
        'webhook-ca-bundle',
        'webhook caBundle set',
        'warn',
        `${noCa.length} webhook(s) without caBundle: ${[...new Set(noCa.map((h) => h.config))].join(', ')}`,
        'istiod writes the caBundle when it starts; if istiod is running and it stays empty, ' +
          "read istiod's logs (`kubectl logs -n istio-system deploy/istiod`)",
        configs(noCa),
      ),
    );
  else out.push(result('webhooks', 'webhook-ca-bundle', 'webhook caBundle set', 'ok', `all ${all.length} webhooks carry a caBundle`));

  const services = new Map<string, string[]>();
  for (const h of all) {
    const svc = h.clientConfig.service;
    if (!svc) continue;
    const key = `${svc.namespace}/${svc.name}`;
    services.set(key, [...(services.get(key) ?? []), h.config]);
  }
  const problems: string[] = [];
  const objects: string[] = [];
  for (const [key] of services) {
    const [ns, name] = key.split('/') as [string, string];
    if (ns !== facts.istioNamespace) continue;
    objects.push(`Service/${key}`);
    if (!facts.services.items.some((s) => s.metadata?.name === name)) problems.push(`Service ${key} not found`);
    else if (!readyEndpoints(facts, name)) problems.push(`Service ${key} has no ready endpoints`);
  }
  if (!services.size)
    out.push(result('webhooks', 'webhook-service', 'webhook Services have ready endpoints', 'skip', 'no webhook points at a Service'));
  else if (problems.length)
    out.push(
      result(
        'webhooks',
        'webhook-service',
        'webhook Services have ready endpoints',
        'fail',
        problems.join('; '),
        'the API server cannot call the webhook: check that istiod pods are Ready and match the Service selector ' +
          '(pods created in injected namespaces will be rejected meanwhile)',
        objects,
      ),
    );
  else
    out.push(
      result(
        'webhooks',
        'webhook-service',
        'webhook Services have ready endpoints',
        'ok',
        [...services.keys()].map((k) => `${k} (${readyEndpoints(facts, k.split('/')[1])} ready)`).join(', '),
        undefined,
        objects,
      ),
    );
  return out;
}

export function gatewayChecks(facts: Facts): CheckResult[] {
  const gateways = facts.services.items.filter(
    (s) =>
      ['ingressgateway', 'egressgateway'].includes(s.metadata?.labels?.istio ?? '') ||
      ((facts.record?.workloads ?? []).includes(`Deployment/${facts.istioNamespace}/${s.metadata?.name}`) &&
        /gateway/.test(s.metadata?.name ?? '')),
  );
  if (!gateways.length)
    return [result('gateways', 'gateway-services', 'gateway Services have an address', 'skip', 'no gateways installed')];
  const pending: string[] = [];
  const fine: string[] = [];
  for (const s of gateways) {
    const type = s.spec?.type ?? 'ClusterIP';
    const name = s.metadata?.name ?? '?';
    if (type === 'LoadBalancer') {
      const ingress = s.status?.loadBalancer?.ingress ?? [];
      if (!ingress.length) pending.push(name);
      else fine.push(`${name} LoadBalancer ${ingress.map((i) => i.ip ?? i.hostname).join(',')}`);
    } else if (type === 'NodePort') fine.push(`${name} NodePort ${(s.spec?.ports ?? []).map((p) => `${p.port}:${p.nodePort}`).join(',')}`);
    else fine.push(`${name} ${type} ${s.spec?.clusterIP ?? ''}`.trim());
  }
  const objects = gateways.map((s) => `Service/${s.metadata?.namespace}/${s.metadata?.name}`);
  if (pending.length)
    return [
      result(
        'gateways',
        'gateway-services',
        'gateway Services have an address',
        'warn',
        `LoadBalancer without an external address: ${pending.join(', ')}${fine.length ? `; ${fine.join('; ')}` : ''}`,
        'this cluster has no load-balancer controller (kind, kwok, bare metal?): ' +
          `use --set components.ingressGateways[name:${pending[0]}].k8s.service.type=NodePort, or hostNetwork, or install MetalLB`,
        objects,
      ),
    ];
  return [result('gateways', 'gateway-services', 'gateway Services have an address', 'ok', fine.join('; '), undefined, objects)];
}
