import { KubeApiError, refusedAction, type KubeGateway } from '../adapters/kube.js';
import { ObjectPaths } from '../adapters/kube-objects.js';
import type { Tree } from '../profiles/merge.js';
import {
  comparable,
  fieldChanges,
  keyOf,
  refOf,
  refOfObject,
  removedPaths,
  withoutPaths,
  type FieldChange,
  type ManifestObject,
  type ObjectRef,
} from './objects.js';

export type DiffAction = 'create' | 'change' | 'delete' | 'unchanged' | 'unknown';

export interface ObjectDiff {
  action: DiffAction;
  object: ObjectRef;
  /** For `change`: each field as it is live, and as it would be. */
  changes?: FieldChange[];
  /** For `unknown`: why the object could not be compared (a refused or failed read). */
  reason?: string;
}

/**
 * The field manager of the dry runs. `force` takes every field the render sets, as istioctl's
 * server-side apply and helm's three-way merge both do; nothing is ever persisted (dryRun=All).
 */
const DRY_RUN_MANAGER = 'mesh-diff';

/**
 * Fields istiod writes into the objects an install creates, moments after it starts: the CA
 * bundle of its webhooks. A render cannot know them, and a re-install that resets them is put
 * right by istiod at once, so they are neither a change nor drift.
 */
const RUNTIME_FIELDS = [/^webhooks\[name=[^\]]+\]\.clientConfig\.caBundle$/, /^webhooks\[name=[^\]]+\]\.failurePolicy$/];
const isRuntimeField = (o: ObjectRef, change: FieldChange) =>
  (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') &&
  RUNTIME_FIELDS.some((re) => re.test(change.path));

const MAX_IN_FLIGHT = 8;
async function mapLimited<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, items.length) }, worker));
  return out;
}

const why = (error: unknown): string =>
  error instanceof KubeApiError
    ? error.status === 403
      ? `forbidden: ${refusedAction(error.reason)}`
      : `${error.status}: ${error.message}`
    : (error as Error).message;

/**
 * Compares a render with the cluster, object by object: absent → create; present → a server-side
 * dry-run apply of the render shows the object as the install would leave it (defaults, other
 * managers' fields and all), minus the fields the previous render set and this one drops; objects
 * of `previous` this render no longer has → delete. A read that fails is `unknown`, never a verdict.
 */
export async function compareWithCluster(
  kube: KubeGateway,
  desiredSets: RenderedSet[],
  previousSets: RenderedSet[] = [],
): Promise<ObjectDiff[]> {
  const paths = new ObjectPaths(kube);
  const desired = await placed(paths, desiredSets);
  const previous = await placed(paths, previousSets);
  const previousByKey = new Map(previous.map((p) => [keyOf(p.ref), p.object]));
  const desiredKeys = new Set(desired.map((d) => keyOf(d.ref)));

  const one = async ({ object, ref }: Placed): Promise<ObjectDiff> => {
    try {
      if (!ref.served) return { action: 'create', object: refOf(ref) };
      const path = await paths.path(ref);
      const live = await kube.get<Tree>(path);
      if (!live) return { action: 'create', object: refOf(ref) };
      const applied = await kube.request<Tree>(
        'PATCH',
        `${path}?fieldManager=${DRY_RUN_MANAGER}&force=true&dryRun=All`,
        object,
        'application/apply-patch+yaml',
      );
      const before = previousByKey.get(keyOf(ref));
      const after = before ? withoutPaths(applied, removedPaths(before, object)) : applied;
      const changes = fieldChanges(ref.kind, comparable(live), comparable(after)).filter((c) => !isRuntimeField(ref, c));
      return changes.length ? { action: 'change', object: refOf(ref), changes } : { action: 'unchanged', object: refOf(ref) };
    } catch (error) {
      return { action: 'unknown', object: refOf(ref), reason: why(error) };
    }
  };

  const compared = await mapLimited(desired, one);
  const dropped = previous.filter((p) => !desiredKeys.has(keyOf(p.ref)) && p.ref.served);
  const deleted = await mapLimited(dropped, async ({ ref }): Promise<ObjectDiff | undefined> => {
    try {
      return (await kube.get<Tree>(await paths.path(ref))) ? { action: 'delete', object: refOf(ref) } : undefined;
    } catch (error) {
      return { action: 'unknown', object: refOf(ref), reason: why(error) };
    }
  });
  return [...compared, ...deleted.filter((d): d is ObjectDiff => d !== undefined)];
}

/** Rendered objects, and the namespace the ones without a namespace go to (helm's --namespace). */
export interface RenderedSet {
  namespace: string;
  objects: ManifestObject[];
}

interface Placed {
  object: ManifestObject;
  ref: ObjectRef & { served: boolean };
}

/**
 * Puts each object where the API server keeps it: a namespaced kind without a namespace in its
 * release's namespace (as helm does), a cluster-scoped one without any. A kind the server does not
 * serve yet (its CRD comes with the render) is left as rendered and marked unserved.
 */
async function placed(paths: ObjectPaths, sets: RenderedSet[]): Promise<Placed[]> {
  const out: Placed[] = [];
  for (const set of sets)
    for (const object of set.objects) {
      const rendered = refOfObject(object);
      const namespaced = await paths.namespaced(rendered).catch((error: unknown) => {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      });
      const namespace = namespaced === undefined ? rendered.namespace : namespaced ? (rendered.namespace ?? set.namespace) : undefined;
      const metadata = { ...object.metadata };
      if (namespace) metadata.namespace = namespace;
      else delete metadata.namespace;
      out.push({ object: { ...object, metadata }, ref: { ...refOf({ ...rendered, namespace }), served: namespaced !== undefined } });
    }
  return out;
}
