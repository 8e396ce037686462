import type { AdmissionregistrationV1WebhookClientConfig, V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';
import { DEFAULT_VALIDATOR } from '../../revisions/default-validator.js';
import type { CheckDefinition, Facts, Verdict } from '../types.js';
import { fail, istiodDeployments, ok, skip, warn } from './shared.js';

interface Hook {
  config: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  name: string;
  clientConfig: AdmissionregistrationV1WebhookClientConfig;
}

/** An Istio sidecar injector's configuration: a revision's own, or a revision tag's. */
const isInjectorConfig = (c: { metadata?: V1ObjectMeta }): boolean =>
  c.metadata?.labels?.app === 'sidecar-injector' || /sidecar-injector|revision-tag/.test(c.metadata?.name ?? '');

/** A webhook configuration of this mesh: a webhook calling the Istio namespace, a revision label or an Istio name. */
const ours = (
  ns: string,
  c: { metadata?: V1ObjectMeta; webhooks?: Array<{ clientConfig: AdmissionregistrationV1WebhookClientConfig }> },
): boolean =>
  (c.webhooks ?? []).some((h) => h.clientConfig.service?.namespace === ns) ||
  c.metadata?.labels?.['istio.io/rev'] !== undefined ||
  /istio/.test(c.metadata?.name ?? '');

/** The sidecar injector's webhooks: the mutating configurations alone (webhook-injector reads no others). */
function injectorHooks(facts: Facts): Hook[] {
  return facts.mutatingWebhooks.items
    .filter((c) => isInjectorConfig(c) && ours(facts.istioNamespace, c))
    .flatMap((c) =>
      (c.webhooks ?? []).map((h) => ({
        config: c.metadata!.name!,
        kind: 'MutatingWebhookConfiguration' as const,
        name: h.name,
        clientConfig: h.clientConfig,
      })),
    );
}

/** istiod's validation webhooks: the validating configurations alone. */
function validationHooks(facts: Facts): Hook[] {
  return facts.validatingWebhooks.items
    .filter((c) => (c.metadata?.labels?.app === 'istiod' || /istio/.test(c.metadata?.name ?? '')) && ours(facts.istioNamespace, c))
    .flatMap((c) =>
      (c.webhooks ?? []).map((h) => ({
        config: c.metadata!.name!,
        kind: 'ValidatingWebhookConfiguration' as const,
        name: h.name,
        clientConfig: h.clientConfig,
      })),
    );
}

const istioHooks = (facts: Facts) => ({ injector: injectorHooks(facts), validation: validationHooks(facts) });

/** Ready endpoints behind a Service in the Istio namespace, from the listed EndpointSlices. */
function readyEndpoints(facts: Facts, service: string): number {
  return facts.endpointSlices.items
    .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === service)
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false).length;
}

const configs = (hooks: Hook[]) => [...new Set(hooks.map((h) => `${h.kind}/${h.config}`))];
const configNames = (hooks: Hook[]) => configs(hooks).map((c) => c.split('/')[1]);

function caBundles(facts: Facts): Verdict {
  const { injector, validation } = istioHooks(facts);
  const all = [...injector, ...validation];
  const noCa = all.filter((h) => !h.clientConfig.caBundle);
  if (!all.length) return skip('no Istio webhooks');
  if (noCa.length)
    return warn(
      `${noCa.length} webhook(s) without caBundle: ${[...new Set(noCa.map((h) => h.config))].join(', ')}`,
      'istiod writes the caBundle when it starts; if istiod is running and it stays empty, ' +
        "read istiod's logs (`kubectl logs -n istio-system deploy/istiod`)",
      configs(noCa),
    );
  return ok(`all ${all.length} webhooks carry a caBundle`);
}

function webhookServices(facts: Facts): Verdict {
  const { injector, validation } = istioHooks(facts);
  const services = new Set<string>();
  for (const h of [...injector, ...validation])
    if (h.clientConfig.service) services.add(`${h.clientConfig.service.namespace}/${h.clientConfig.service.name}`);
  if (!services.size) return skip('no webhook points at a Service');
  const problems: string[] = [];
  const objects: string[] = [];
  const elsewhere: string[] = [];
  for (const key of services) {
    const [ns, name] = key.split('/') as [string, string];
    // Services outside the Istio namespace were not read: say so rather than judge them.
    if (ns !== facts.istioNamespace) {
      elsewhere.push(key);
      continue;
    }
    objects.push(`Service/${key}`);
    if (!facts.services.items.some((s) => s.metadata?.name === name && s.metadata?.namespace === ns))
      problems.push(`Service ${key} not found`);
    else if (!readyEndpoints(facts, name)) problems.push(`Service ${key} has no ready endpoints`);
  }
  if (problems.length)
    return fail(
      problems.join('; '),
      'the API server cannot call the webhook: check that istiod pods are Ready and match the Service selector ' +
        '(pods created in injected namespaces will be rejected meanwhile)',
      objects,
    );
  const checked = [...services].filter((k) => !elsewhere.includes(k)).map((k) => `${k} (${readyEndpoints(facts, k.split('/')[1])} ready)`);
  if (!checked.length) return skip(`webhooks point at Services outside ${facts.istioNamespace}, not read: ${elsewhere.join(', ')}`);
  return ok(`${checked.join(', ')}${elsewhere.length ? `; not read: ${elsewhere.join(', ')}` : ''}`, objects);
}

export const webhookChecks: CheckDefinition[] = [
  {
    id: 'webhook-injector',
    category: 'webhooks',
    description: 'sidecar injector webhook configured',
    means: 'a sidecar-injector MutatingWebhookConfiguration exists',
    fix: '`mesh install`',
    reads: ['mutatingWebhooks'],
    run: (facts) => {
      const injector = injectorHooks(facts);
      if (injector.length) return ok(`${configNames(injector).join(', ')} (${injector.length} webhooks)`, configs(injector));
      return fail(
        'no MutatingWebhookConfiguration for the Istio sidecar injector',
        're-run `mesh install`; without it new pods get no sidecar',
      );
    },
  },
  {
    id: 'webhook-validation',
    category: 'webhooks',
    description: 'config validation webhook configured',
    means: 'a config-validation ValidatingWebhookConfiguration exists (warn)',
    fix: '`values.global.configValidation=true`',
    reads: ['validatingWebhooks'],
    run: (facts) => {
      const validation = validationHooks(facts);
      if (validation.length) return ok(configNames(validation).join(', '), configs(validation));
      return warn(
        'no ValidatingWebhookConfiguration for Istio config',
        'set values.global.configValidation=true and re-run `mesh install`; invalid Istio config is accepted silently without it',
      );
    },
  },
  {
    id: 'webhook-ca-bundle',
    category: 'webhooks',
    description: 'webhook caBundle set',
    means: 'every Istio webhook carries a caBundle (istiod writes it when it starts; warn)',
    fix: 'check istiod is running and its logs',
    reads: ['mutatingWebhooks', 'validatingWebhooks'],
    run: caBundles,
  },
  {
    id: 'webhook-revisions',
    category: 'webhooks',
    description: 'webhooks point at running revisions',
    means: "every Istio webhook's revision (and every revision tag's) has an istiod: none left behind by a removed revision",
    fix: 'move the tag (`mesh tag set <tag> --revision <rev> --overwrite`) or delete the webhook of the removed revision',
    reads: ['mutatingWebhooks', 'validatingWebhooks', 'deployments'],
    run: webhookRevisions,
  },
  {
    id: 'webhook-overlap',
    category: 'webhooks',
    description: 'no two injectors select the same pods',
    means:
      'no two Istio injection webhook configurations select the same namespaces and pods (IST0139): a pod would get ' +
      'two sidecars, or one from the wrong revision',
    fix: 'move the default tag with `mesh tag set default`, which deactivates the default revision injector, or remove the tag',
    reads: ['mutatingWebhooks'],
    run: webhookOverlap,
  },
  {
    id: 'webhook-service',
    category: 'webhooks',
    description: 'webhook Services have ready endpoints',
    means: 'the Services the webhooks call exist and have ready endpoints',
    fix: "make istiod's pods Ready and matching the Service selector",
    reads: ['mutatingWebhooks', 'validatingWebhooks', 'services', 'endpointSlices'],
    run: webhookServices,
  },
];

/** helm would render a webhook of its own again: the base chart's validator is moved with its value, anything else deleted. */
function strandedHint(kind: string, webhook: V1ObjectMeta, running: string[]): string {
  const release = webhook.annotations?.['meta.helm.sh/release-name'];
  if (release && webhook.name === DEFAULT_VALIDATOR)
    return (
      `helm upgrade ${release} <base chart> -n ${webhook.annotations?.['meta.helm.sh/release-namespace'] ?? '<ns>'} --reuse-values ` +
      `--set defaultRevision=<a running revision: ${running.join(', ') || 'none'}>`
    );
  return `delete it: kubectl delete ${kind.toLowerCase()} ${webhook.name}`;
}

/**
 * A webhook of a revision that no longer runs (a tag left pointing at it, a validator of a removed
 * canary) breaks injection or every Istio config write (istio/istio#35590, #28880).
 */
function webhookRevisions(facts: Facts): Verdict {
  const running = new Set(istiodDeployments(facts).map((d) => d.metadata?.labels?.['istio.io/rev'] ?? 'default'));
  const configs = [
    ...facts.mutatingWebhooks.items.map((c) => ({ kind: 'MutatingWebhookConfiguration', c })),
    ...facts.validatingWebhooks.items.map((c) => ({ kind: 'ValidatingWebhookConfiguration', c })),
  ].filter(({ c }) => c.metadata?.labels?.['istio.io/rev'] !== undefined);
  if (!configs.length) return skip('no Istio webhook carries a revision label');
  const label = ({ c }: (typeof configs)[number]) => {
    const tag = c.metadata?.labels?.['istio.io/tag'];
    return `${c.metadata?.name}${tag ? ` (tag ${tag})` : ''}`;
  };
  const stranded = configs.filter(({ c }) => !running.has(c.metadata!.labels!['istio.io/rev']));
  if (stranded.length) {
    const first = stranded[0].c.metadata!;
    const tag = first.labels?.['istio.io/tag'];
    return fail(
      stranded.map((x) => `${label(x)} points at revision ${x.c.metadata!.labels!['istio.io/rev']}, which has no istiod`).join('; '),
      tag
        ? `mesh tag set ${tag} --revision <a running revision: ${[...running].join(', ') || 'none'}> --overwrite`
        : strandedHint(stranded[0].kind, first, [...running]),
    );
  }
  // A tag has a validator too (istiod-default-validator carries istio.io/tag); each tag is named once,
  // from its injector. Items of a list carry no `kind`: the wrapper's is the one to ask.
  const tags = configs.filter(({ kind, c }) => c.metadata?.labels?.['istio.io/tag'] && kind === 'MutatingWebhookConfiguration');
  return ok(
    `revisions ${[...running].sort().join(', ')}` +
      (tags.length
        ? `; tags ${tags.map(({ c }) => `${c.metadata!.labels!['istio.io/tag']}->${c.metadata!.labels!['istio.io/rev']}`).join(', ')}`
        : ''),
  );
}

/**
 * Two injector configurations whose webhooks select the same namespaces and pods both inject a
 * new pod (UPGRADE-NOTES pain 4, istio/istio#43932, #48643): the default revision's own injector
 * beside a `default` tag that a helm upgrade re-activated, say. istioctl deactivates the default
 * revision's injector when a default tag exists (its selectors then match nothing), so live
 * selectors are compared, not names.
 */
function webhookOverlap(facts: Facts): Verdict {
  const injectors = facts.mutatingWebhooks.items.filter(isInjectorConfig);
  if (!injectors.length) return skip('no Istio injector');
  const bySelector = new Map<string, Set<string>>();
  for (const c of injectors)
    for (const h of c.webhooks ?? []) {
      const key = JSON.stringify([sortedSelector(h.namespaceSelector), sortedSelector(h.objectSelector)]);
      bySelector.set(key, (bySelector.get(key) ?? new Set()).add(c.metadata?.name ?? ''));
    }
  const shared = [...bySelector.values()].filter((names) => names.size > 1);
  const overlaps = [...new Set(shared.map((names) => [...names].sort().join(' and ')))];
  if (overlaps.length)
    return fail(
      `${overlaps.join('; ')} select the same pods: a new pod is injected by both`,
      'keep one: `mesh tag set default --revision <rev> --overwrite` deactivates the default revision injector ' +
        '(or `mesh tag remove default`)',
      overlaps.flatMap((o) => o.split(' and ').map((name) => `MutatingWebhookConfiguration/${name}`)),
    );
  return ok(`${injectors.length} injector configuration(s), selectors distinct`);
}

/** A label selector with its requirements in a fixed order, so equal selectors compare equal. */
function sortedSelector(selector: V1LabelSelector | undefined): unknown {
  if (!selector) return null;
  return {
    matchLabels: Object.fromEntries(Object.entries(selector.matchLabels ?? {}).sort()),
    matchExpressions: (selector.matchExpressions ?? [])
      .map((e) => ({ key: e.key, operator: e.operator, values: [...(e.values ?? [])].sort() }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}
