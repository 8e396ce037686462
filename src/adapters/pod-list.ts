import protobuf from 'protobufjs/light.js';
import type { IncomingMessage } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';

/**
 * Pod lists in the Kubernetes protobuf encoding, decoded to the few fields mesh reads of a pod.
 *
 * Why: at thousands of pods the JSON list is the whole cost of `mesh verify`. A kwok pod is about
 * 9 KB of JSON (most of it managedFields); the API server takes about 4x longer to write a page as
 * JSON than as protobuf, and JSON.parse of a 22 MB page takes 300-450 ms on the 2-core machine,
 * while the protobuf decoder skips every field this schema does not name (managedFields,
 * volumes, statuses) without building anything for it. kubectl and client-go ask for protobuf for
 * the same reason.
 *
 * The field numbers are Kubernetes' own (k8s.io/api core/v1 and k8s.io/apimachinery meta/v1
 * generated.proto; protobuf field numbers never change). The e2e test `pod-list` checks them
 * against those files and compares a decoded list with the JSON one on the testbed.
 */

/** Protobuf first, JSON from a server (or proxy) that cannot: the content type of the answer says which came. */
export const PROTOBUF_ACCEPT = 'application/vnd.kubernetes.protobuf,application/json';
const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';
/** Every protobuf body starts with these four bytes ("k8s\0"), then a runtime.Unknown envelope. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const string = (id: number) => ({ type: 'string', id });
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const stringMap = (id: number) => ({ keyType: 'string', type: 'string', id });

/** The message schemas, each cut down to the fields mesh reads; names and numbers as in generated.proto. */
export const SCHEMA = {
  'k8s.io.apimachinery.pkg.runtime.Unknown': { raw: { type: 'bytes', id: 2 } },
  'k8s.io.api.core.v1.PodList': { metadata: { type: 'ListMeta', id: 1 }, items: repeated('Pod', 2) },
  /** A PodList read for its metadata alone: the items are skipped, so it costs little however many. */
  'k8s.io.api.core.v1.PodListHead': { metadata: { type: 'ListMeta', id: 1 } },
  'k8s.io.api.core.v1.Pod': {
    metadata: { type: 'ObjectMeta', id: 1 },
    spec: { type: 'PodSpec', id: 2 },
    status: { type: 'PodStatus', id: 3 },
  },
  'k8s.io.api.core.v1.PodSpec': {
    containers: repeated('Container', 2),
    initContainers: repeated('Container', 20),
    hostNetwork: { type: 'bool', id: 11 },
  },
  'k8s.io.api.core.v1.Container': { name: string(1), image: string(2) },
  'k8s.io.api.core.v1.PodStatus': { phase: string(1) },
  'k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta': { continue: string(3) },
  'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    name: string(1),
    namespace: string(3),
    deletionTimestamp: { type: 'Time', id: 9 },
    labels: stringMap(11),
    annotations: stringMap(12),
    ownerReferences: repeated('OwnerReference', 13),
  },
  'k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference': {
    kind: string(1),
    name: string(3),
    uid: string(4),
    apiVersion: string(5),
    controller: { type: 'bool', id: 6 },
  },
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': { seconds: { type: 'int64', id: 1 } },
  'k8s.io.apimachinery.pkg.apis.meta.v1.Status': { message: string(3) },
} as const;

/** The schema as protobufjs' JSON descriptor: the short type names above resolve within each package. */
function buildRoot(): protobuf.Root {
  const nested: Record<string, unknown> = {};
  for (const [fullName, fields] of Object.entries(SCHEMA)) {
    const parts = fullName.split('.');
    let level = nested;
    for (const part of parts.slice(0, -1))
      level = ((level[part] as { nested: Record<string, unknown> } | undefined) ??= { nested: {} }).nested;
    // Kubernetes' .proto files are proto2: strings are not re-validated as UTF-8 (proto3 would).
    level[parts.at(-1)!] = { edition: 'proto2', fields };
  }
  return protobuf.Root.fromJSON({ nested } as protobuf.INamespace);
}

let types:
  | { unknown: protobuf.Type; podListHead: protobuf.Type; podList: protobuf.Type; listMeta: protobuf.Type; status: protobuf.Type }
  | undefined;
function load() {
  if (!types) {
    const root = buildRoot();
    types = {
      unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'),
      listMeta: root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta'),
      podList: root.lookupType('k8s.io.api.core.v1.PodList'),
      podListHead: root.lookupType('k8s.io.api.core.v1.PodListHead'),
      status: root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.Status'),
    };
  }
  return types;
}

const isProtobuf = (contentType: string | undefined): boolean => (contentType ?? '').startsWith(PROTOBUF_TYPE);

/**
 * Pods per page: at thousands of pods a page of protobuf is a few MB, and the next page is
 * asked for while this one is decoded, so memory stays flat however many pods there are.
 */
export const POD_PAGE = 2500;

/** The object inside the "k8s\0" + runtime.Unknown envelope. */
function unwrap(body: Buffer): Uint8Array {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a Kubernetes protobuf body (no k8s\\0 prefix)');
  return (load().unknown.decode(body.subarray(MAGIC.length)) as unknown as { raw: Uint8Array }).raw;
}

/** RFC 3339 to the second, as the API server writes a metav1.Time in JSON. */
const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Exactly the fields of a pod that the schema above decodes, from a pod read as JSON (a server
 * that would not send protobuf): a pod with its managed fields, volumes and full container specs
 * weighs ten times this, held by the thousand. Only the controlling owner is kept.
 */
export function slimPod(pod: V1Pod): V1Pod {
  const m = pod.metadata ?? {};
  const container = (c: { name: string; image?: string }) => ({ name: c.name, ...(c.image ? { image: c.image } : {}) });
  const owners = m.ownerReferences
    ?.filter((o) => o.controller)
    .map(({ apiVersion, kind, name, uid, controller }) => ({ apiVersion, kind, name, uid, controller }));
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      // An empty map is absent, as in protobuf (and in the server's JSON).
      ...(m.labels && Object.keys(m.labels).length ? { labels: m.labels } : {}),
      ...(m.annotations && Object.keys(m.annotations).length ? { annotations: m.annotations } : {}),
      ...(owners?.length ? { ownerReferences: owners } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      containers: (pod.spec?.containers ?? []).map(container),
      ...(pod.spec?.initContainers?.length ? { initContainers: pod.spec.initContainers.map(container) } : {}),
      ...(pod.spec?.hostNetwork ? { hostNetwork: true } : {}),
    },
    ...(pod.status?.phase ? { status: { phase: pod.status.phase } } : {}),
  };
}

interface DecodedPod {
  metadata?: Omit<NonNullable<V1Pod['metadata']>, 'deletionTimestamp'> & { deletionTimestamp?: { seconds?: number } | string };
  spec?: V1Pod['spec'];
  status?: V1Pod['status'];
}

/**
 * A decoded pod through slimPod, so both encodings give the same pods: Kubernetes writes every
 * scalar of a pod in protobuf, empty or not (hostNetwork false, phase ""), where its JSON omits
 * them. The timestamp becomes the string JSON carries.
 */
function asSlimPod(pod: DecodedPod): V1Pod {
  const m = pod.metadata;
  const slim = slimPod(pod as V1Pod);
  // int64 seconds decode to a Long (protobufjs' 64-bit integer) or a number
  const seconds = (m?.deletionTimestamp as { seconds?: number | { toNumber(): number } } | undefined)?.seconds;
  if (m?.deletionTimestamp)
    slim.metadata!.deletionTimestamp = rfc3339(typeof seconds === 'object' ? seconds.toNumber() : (seconds ?? 0)) as unknown as Date;
  return slim;
}

/** One page of a pod list as it arrived: its continue token at once, its pods when asked. */
export interface PodPage {
  continue?: string;
  pods(): V1Pod[];
}

/**
 * Opens a page of a pod list, protobuf or JSON as the content type says. For protobuf the
 * continue token is read first (the list's metadata; the items are skipped, not decoded), so
 * the next page can be asked for before this one is decoded.
 */
export function openPodPage(body: Buffer, contentType: string | undefined): PodPage {
  if (!isProtobuf(contentType)) {
    const list = JSON.parse(body.toString('utf8')) as { metadata?: { continue?: string }; items?: V1Pod[] };
    return { continue: list.metadata?.continue || undefined, pods: () => (list.items ?? []).map(slimPod) };
  }
  const { podListHead, podList } = load();
  const raw = unwrap(body);
  const head = podListHead.toObject(podListHead.decode(raw)) as { metadata?: { continue?: string } };
  return {
    continue: head.metadata?.continue || undefined,
    pods: () => {
      // The decoded messages go to slimPod as they are (it copies out what it keeps): no toObject copy.
      const list = podList.decode(raw) as unknown as { items?: DecodedPod[] };
      return (list.items ?? []).map(asSlimPod);
    },
  };
}

/** A varint at `pos`: its value and the position after it; undefined if the bytes end first. */
function varint(bytes: Uint8Array, pos: number): [number, number] | undefined {
  let value = 0;
  for (let i = pos, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    value += (bytes[i] & 0x7f) * 2 ** shift;
    if (bytes[i] < 0x80) return [value, i + 1];
  }
  return undefined;
}

/**
 * The continue token of a protobuf pod page from its first bytes: Kubernetes writes a message's
 * fields in their order, so the envelope's type (1) and raw object (2) come first, and in the
 * PodList its metadata (1) before the items (2). 'more' until the metadata has arrived whole;
 * 'unknown' for any other layout, whose token is then read from the whole page.
 */
export function peekContinue(bytes: Uint8Array): { continue?: string } | 'more' | 'unknown' {
  if (bytes.length < MAGIC.length) return 'more';
  if (!MAGIC.equals(bytes.subarray(0, MAGIC.length))) return 'unknown';
  let pos = MAGIC.length;
  for (;;) {
    const key = varint(bytes, pos);
    const length = key && varint(bytes, key[1]);
    if (!key || !length) return 'more';
    if ((key[0] & 7) !== 2) return 'unknown';
    if (key[0] >>> 3 === 2) {
      pos = length[1];
      break;
    }
    pos = length[1] + length[0];
  }
  const key = varint(bytes, pos);
  const length = key && varint(bytes, key[1]);
  if (!key || !length) return 'more';
  if (key[0] !== ((1 << 3) | 2)) return 'unknown';
  const end = length[1] + length[0];
  if (end > bytes.length) return 'more';
  const meta = load().listMeta.decode(bytes.subarray(length[1], end)) as unknown as { continue?: string };
  return { continue: meta.continue || undefined };
}

/**
 * Calls `found` with a page's continue token as soon as its first bytes say it (protobuf), so the
 * next page can be asked for while this one still arrives; never, if they cannot say it (JSON).
 */
export function onEarlyContinue(answer: IncomingMessage, found: (token: string | undefined) => void): void {
  if (!isProtobuf(answer.headers['content-type'])) return;
  let prefix = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    prefix = Buffer.concat([prefix, chunk]);
    const peeked = peekContinue(prefix);
    // The metadata is a few hundred bytes: past 64 KiB something else is going on.
    if (peeked === 'more' && prefix.length < 64 * 1024) return;
    answer.off('data', onData);
    if (typeof peeked === 'object') found(peeked.continue);
  };
  answer.on('data', onData);
}

/** The message of an error answer's Status, when the server sent it as protobuf. */
export function statusMessage(body: Buffer, contentType: string | undefined): string | undefined {
  if (!isProtobuf(contentType)) return undefined;
  try {
    const { status } = load();
    return (status.toObject(status.decode(unwrap(body))) as { message?: string }).message;
  } catch {
    return undefined;
  }
}
