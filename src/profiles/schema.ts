import { z } from 'zod';

/**
 * The mesh profile file format. `spec` is shaped like IstioOperator's spec, so that the
 * `--set` paths people copy from istioctl guides (`components.cni.enabled=true`,
 * `values.pilot.traceSampling=100`, `meshConfig.accessLogFile=/dev/stdout`) mean the same here.
 * Objects are strict so a misspelt key is an error naming its path, not a silent no-op.
 */
const dns1123 = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower case, digits, -)');
const openObject = z.record(z.string(), z.unknown());

export const K8sSettingsSchema = z
  .object({
    affinity: openObject,
    env: z.array(openObject),
    hpaSpec: openObject,
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
    nodeSelector: z.record(z.string(), z.string()),
    podDisruptionBudget: openObject,
    podAnnotations: z.record(z.string(), z.string()),
    priorityClassName: z.string(),
    readinessProbe: openObject,
    replicaCount: z.number().int().min(0),
    resources: openObject,
    service: z
      .object({
        type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
        ports: z.array(openObject),
        loadBalancerIP: z.string(),
        externalTrafficPolicy: z.enum(['Cluster', 'Local']),
      })
      .partial()
      .strict(),
    serviceAnnotations: z.record(z.string(), z.string()),
    securityContext: openObject,
    strategy: openObject,
    tolerations: z.array(openObject),
    volumes: z.array(openObject),
    volumeMounts: z.array(openObject),
    overlays: z.array(openObject),
  })
  .partial()
  .strict();

const ComponentSchema = z
  .object({ enabled: z.boolean(), namespace: dns1123, hub: z.string(), tag: z.string(), k8s: K8sSettingsSchema })
  .partial()
  .strict();

export const GatewaySchema = z
  .object({
    name: dns1123,
    enabled: z.boolean().optional(),
    namespace: dns1123.optional(),
    label: z.record(z.string(), z.string()).optional(),
    hub: z.string().optional(),
    tag: z.string().optional(),
    k8s: K8sSettingsSchema.optional(),
  })
  .strict();

/** Top-level keys of IstioOperator `values` (istio/operator/pkg/apis/values_types.proto). */
export const KNOWN_VALUES_KEYS = [
  'cni', 'gateways', 'global', 'pilot', 'ztunnel', 'telemetry', 'sidecarInjectorWebhook', 'istio_cni',
  'revision', 'ownerName', 'meshConfig', 'base', 'istiodRemote', 'revisionTags', 'defaultRevision',
  'profile', 'compatibilityVersion', 'experimental', 'gatewayClasses',
] as const;

const ValuesSchema = z
  .object(Object.fromEntries(KNOWN_VALUES_KEYS.map((key) => [key, z.unknown()])))
  .partial()
  .strict();

export const SpecSchema = z
  .object({
    hub: z.string(),
    tag: z.string(),
    revision: z.union([z.literal(''), dns1123]),
    compatibilityVersion: z.string(),
    components: z
      .object({
        base: ComponentSchema,
        pilot: ComponentSchema,
        cni: ComponentSchema,
        ztunnel: ComponentSchema,
        istiodRemote: ComponentSchema,
        ingressGateways: z.array(GatewaySchema),
        egressGateways: z.array(GatewaySchema),
      })
      .partial()
      .strict(),
    meshConfig: openObject,
    values: ValuesSchema,
  })
  .partial()
  .strict();

/** A profile or overlay file as written: every field optional, so overlays may be partial. */
export const ProfileFileSchema = z
  .object({
    apiVersion: z.literal('mesh.dev/v1alpha1'),
    kind: z.literal('MeshProfile'),
    name: dns1123,
    description: z.string(),
    extends: z.string(),
    /** Istio's own profile name, rendered as `spec.profile` / chart value `profile`. */
    istioProfile: z.enum(['default', 'demo', 'minimal', 'remote', 'empty', 'ambient', 'preview', 'stable']),
    /** Settings the user must supply, with the flag that supplies them. */
    requires: z.array(z.object({ path: z.string(), flag: z.string(), why: z.string() }).strict()),
    spec: SpecSchema,
  })
  .partial()
  .strict();

export type ProfileFile = z.infer<typeof ProfileFileSchema>;
export type Spec = z.infer<typeof SpecSchema>;
export type Gateway = z.infer<typeof GatewaySchema>;
export type K8sSettings = z.infer<typeof K8sSettingsSchema>;

/** A profile after `extends` is resolved: the fields every consumer may rely on. */
export interface Profile {
  name: string;
  description: string;
  istioProfile: NonNullable<ProfileFile['istioProfile']>;
  requires: NonNullable<ProfileFile['requires']>;
  spec: Spec;
  /** Files the profile was layered from, base first (built-ins as `builtin:<name>`). */
  sources: string[];
}

/** Formats the first schema issue as `path.to.key: message`, the way a user can find it. */
export function describeSchemaIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  let path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    path = path ? `${path}.${key}` : key;
    message = 'unknown field';
  }
  return `${path || '(top level)'}: ${message}`;
}
