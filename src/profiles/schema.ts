// zod/mini, with English messages: the same validation as zod's classic API without the methods it
// attaches to every schema object, which made loading the profile schema cost every command that
// reads a profile about 60 ms (`import { z } from 'zod'`, locales and all) on the 2-core machine.
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

z.config(en());

/** Istio's own profile names (manifests/profiles of Istio 1.31). */
export const ISTIO_PROFILES = [
  'ambient',
  'default',
  'demo',
  'empty',
  'minimal',
  'openshift',
  'openshift-ambient',
  'preview',
  'remote',
  'stable',
] as const;

/**
 * The schemas, built on first use: building them is most of what validation costs (about 4.5 ms
 * of a 7 ms start, measured on the 2-core machine), and a command that only reads mesh's own
 * profiles, which their tests hold valid, never needs them.
 */
function buildSchemas() {
  /**
   * The IstioOperator spec as istioctl 1.31 decodes it (istio/operator/pkg/apis/types.go, strict
   * JSON decoding): every field it knows is accepted with the type it accepts, YAML nulls included
   * (Go reads them as "unset"), and a key it does not know is an error naming its path — istioctl
   * rejects those too. Kubernetes-typed settings (affinity, probes, service, ...) and `values` stay
   * open objects: istioctl validates them itself, and `mesh install` asks it to before any change.
   */
  const dns1123 = z
    .string()
    .check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower case, digits, -)'), z.maxLength(63));
  const openObject = z.record(z.string(), z.unknown());
  const stringMap = z.record(z.string(), z.nullable(z.string()));
  /** Anything fmt %v prints as an image tag: istioctl accepts `tag: 1.31` (a YAML number) as well as a string. */
  const imageTag = z.union([z.string(), z.number(), z.boolean()]);
  const nullable = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));

  const OverlaySchema = z.strictObject({
    apiVersion: nullable(z.string()),
    kind: nullable(z.string()),
    name: nullable(z.string()),
    patches: nullable(z.array(z.nullable(z.strictObject({ path: nullable(z.string()), value: z.unknown() })))),
  });

  const K8sSettingsSchema = z.strictObject({
    affinity: nullable(openObject),
    env: nullable(z.array(z.nullable(openObject))),
    hpaSpec: nullable(openObject),
    imagePullPolicy: nullable(z.string()),
    nodeSelector: nullable(stringMap),
    podDisruptionBudget: nullable(openObject),
    podAnnotations: nullable(stringMap),
    priorityClassName: nullable(z.string()),
    readinessProbe: nullable(openObject),
    replicaCount: nullable(z.int().check(z.minimum(0), z.maximum(2 ** 32 - 1))),
    resources: nullable(openObject),
    service: nullable(openObject),
    strategy: nullable(openObject),
    tolerations: nullable(z.array(z.nullable(openObject))),
    serviceAnnotations: nullable(stringMap),
    securityContext: nullable(openObject),
    volumes: nullable(z.array(z.nullable(openObject))),
    volumeMounts: nullable(z.array(z.nullable(openObject))),
    overlays: nullable(z.array(OverlaySchema)),
  });

  const BaseComponentSchema = z.strictObject({ enabled: nullable(z.boolean()), k8s: nullable(K8sSettingsSchema) });

  const componentFields = {
    enabled: nullable(z.boolean()),
    namespace: nullable(z.string()),
    hub: nullable(z.string()),
    tag: nullable(imageTag),
    k8s: nullable(K8sSettingsSchema),
  };
  const ComponentSchema = z.strictObject(componentFields);

  const GatewaySchema = z.strictObject({
    ...componentFields,
    name: nullable(z.string().check(z.regex(/^[a-z0-9.-]{1,254}$/, 'must be lower case letters, digits, "." or "-"'))),
    label: nullable(stringMap),
  });

  const ComponentsSchema = z.strictObject({
    base: nullable(BaseComponentSchema),
    pilot: nullable(ComponentSchema),
    cni: nullable(ComponentSchema),
    ztunnel: nullable(ComponentSchema),
    istiodRemote: nullable(ComponentSchema),
    ingressGateways: nullable(z.array(z.nullable(GatewaySchema))),
    egressGateways: nullable(z.array(z.nullable(GatewaySchema))),
  });

  const SpecSchema = z.strictObject({
    profile: nullable(z.string()),
    installPackagePath: nullable(z.string()),
    hub: nullable(z.string()),
    tag: nullable(imageTag),
    namespace: nullable(z.string()),
    revision: nullable(z.union([z.literal(''), dns1123])),
    compatibilityVersion: nullable(z.string()),
    meshConfig: nullable(openObject),
    components: nullable(ComponentsSchema),
    values: nullable(openObject),
    unvalidatedValues: z.optional(z.unknown()),
  });

  /** Kubernetes ObjectMeta, which istioctl decodes strictly as well. */
  const ObjectMetaSchema = z.strictObject({
    name: nullable(z.string()),
    namespace: nullable(z.string()),
    generateName: nullable(z.string()),
    labels: nullable(stringMap),
    annotations: nullable(stringMap),
    uid: nullable(z.string()),
    resourceVersion: nullable(z.string()),
    generation: nullable(z.number()),
    creationTimestamp: z.optional(z.unknown()),
    deletionTimestamp: z.optional(z.unknown()),
    deletionGracePeriodSeconds: nullable(z.number()),
    ownerReferences: nullable(z.array(openObject)),
    finalizers: nullable(z.array(z.string())),
    managedFields: nullable(z.array(openObject)),
    selfLink: nullable(z.string()),
  });

  /** An IstioOperator document as `istioctl install -f` reads it. */
  const IstioOperatorSchema = z.strictObject({
    apiVersion: nullable(z.string()),
    kind: nullable(z.string()),
    metadata: nullable(ObjectMetaSchema),
    spec: nullable(SpecSchema),
  });

  /** A mesh profile file as written: every field optional, so overlays may be partial. */
  const ProfileFileSchema = z.partial(
    z.strictObject({
      apiVersion: z.literal('mesh.dev/v1alpha1'),
      kind: z.literal('MeshProfile'),
      name: dns1123,
      description: z.string(),
      extends: z.string(),
      /** Istio's own profile: the IstioOperator's `spec.profile` and the charts' `profile` value. */
      istioProfile: z.string(),
      /** Settings the user must supply, with the flag that supplies them. */
      requires: z.array(z.strictObject({ path: z.string(), flag: z.string(), why: z.string() })),
      spec: z.nullable(SpecSchema),
    }),
  );
  return {
    spec: SpecSchema,
    istioOperator: IstioOperatorSchema,
    profileFile: ProfileFileSchema,
    gateway: GatewaySchema,
    k8sSettings: K8sSettingsSchema,
  };
}
type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
export const profileSchemas = (): Schemas => (built ??= buildSchemas());

export type ProfileFile = z.infer<Schemas['profileFile']>;
export type Spec = z.infer<Schemas['spec']>;
export type Gateway = z.infer<Schemas['gateway']>;
export type K8sSettings = z.infer<Schemas['k8sSettings']>;
export type IstioOperatorDoc = z.infer<Schemas['istioOperator']>;

/** A profile after `extends`, overlays and `--set` are layered: the user's intent, not Istio's defaults. */
export interface Profile {
  name: string;
  description: string;
  /** Istio's profile the intent sits on (`spec.profile`, default `default`). */
  istioProfile: string;
  requires: NonNullable<ProfileFile['requires']>;
  /** The IstioOperator spec the user asked for, `profile` included: exactly what mesh hands istioctl. */
  spec: Spec;
  /** IstioOperator metadata from overlays (istioctl reads `metadata.namespace` when values leave it unset). */
  metadata: Record<string, unknown>;
  /** Files the profile was layered from, base first (built-ins as `builtin:<name>`). */
  sources: string[];
}

/** Formats the first schema issue as `path.to.key: message`, the way a user can find it. */
export function describeSchemaIssue(error: { issues: readonly z.core.$ZodIssue[] }, prefix: Array<string | number> = []): string {
  const issue = error.issues[0];
  const parts = [...prefix, ...issue.path];
  let path = parts
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    path = path ? `${path}.${key}` : key;
    message = 'unknown field';
  } else if (issue.code === 'invalid_union') message = 'has the wrong type';
  return `${path || '(top level)'}: ${message}`;
}
