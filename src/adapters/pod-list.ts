import protobuf from 'protobufjs/light.js';
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

let types: { unknown: protobuf.Type; pod: protobuf.Type; listMeta: protobuf.Type; status: protobuf.Type } | undefined;
function load() {
  if (!types) {
    const root = buildRoot();
    types = {
      unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'),
      listMeta: root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta'),
      pod: root.lookupType('k8s.io.api.core.v1.Pod'),
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

/** One page of a pod list as it arrived: its continue token, and its pods. */
export interface PodPage {
  continue?: string;
  pods(): V1Pod[];
}

/** Takes a successful answer's body as it arrives, chunk by chunk; its value once the body has ended. */
export interface BodySink<T> {
  write(chunk: Buffer): void;
  /** The value, or the first error the body gave (thrown here, never from a 'data' handler). */
  end(): T;
}

/**
 * Reads a page of a pod list as it arrives, protobuf or JSON as the content type says. `onContinue`
 * hears the page's continue token as soon as its bytes say it (protobuf: the list's metadata comes
 * before its items), so the next page can be asked for while this one still arrives; for JSON,
 * when the page has ended.
 */
export function podPageSink(contentType: string | undefined, onContinue: (token: string | undefined) => void): BodySink<PodPage> {
  if (!isProtobuf(contentType)) {
    const chunks: Buffer[] = [];
    return {
      write: (chunk) => void chunks.push(chunk),
      end: () => {
        const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata?: { continue?: string }; items?: V1Pod[] };
        const token = list.metadata?.continue || undefined;
        onContinue(token);
        return { continue: token, pods: () => (list.items ?? []).map(slimPod) };
      },
    };
  }
  return new ProtobufPodPage(onContinue);
}

/** Protobuf wire types (a field's key is its number << 3 | its wire type). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
/** runtime.Unknown's raw object, and in a PodList its metadata and each item. */
const RAW = SCHEMA['k8s.io.apimachinery.pkg.runtime.Unknown'].raw.id;
const LIST_META = SCHEMA['k8s.io.api.core.v1.PodList'].metadata.id;
const ITEM = SCHEMA['k8s.io.api.core.v1.PodList'].items.id;

/** A varint at `pos` (up to 35 bits: a length or a field's key): its value and the position after it; undefined if the bytes end first. */
function varint(bytes: Uint8Array, pos: number): [number, number] | undefined {
  let value = 0;
  for (let i = pos, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    value += (bytes[i] & 0x7f) * 2 ** shift;
    if (bytes[i] < 0x80) return [value, i + 1];
  }
  return undefined;
}

/**
 * A protobuf pod page decoded as it arrives: each pod from its own bytes the moment they are all
 * there, the page never held whole.
 *
 * Why: a page of 2,500 kwok pods is about 5.6 MB in some 4,000 chunks. Gathered into one buffer
 * before decoding, the copy alone took 18-28 ms a page (the kernel mapping that much fresh
 * memory), and the page, its chunks and its decoded messages were all alive at once. Here a pod
 * is decoded straight from the chunk holding it (one that spans two chunks is copied, a few KB),
 * and only the slim pod outlives its chunk.
 *
 * The layout is Kubernetes' own: "k8s\0", then a runtime.Unknown whose raw bytes (field 2) are the
 * PodList, whose metadata (1) and items (2) are length-delimited fields; any other field, at any
 * level, is skipped by its wire type, as a protobuf decoder would.
 */
class ProtobufPodPage implements BodySink<PodPage> {
  private readonly pods: V1Pod[] = [];
  private token: string | undefined;
  private tokenHeard = false;
  private error: Error | undefined;
  /** Bytes received but not yet consumed (a field's key and length cut by a chunk's end), and where in the body they start. */
  private held: Buffer = Buffer.alloc(0);
  private at = 0;
  /**
   * A field longer than what had come, copied together here as its chunks arrive: one buffer,
   * reused, as a pod decodes into strings and numbers that do not point into its bytes. Most pods
   * span two chunks (about 2.2 KB each against 1.4 KB TLS records here): a fresh buffer for each
   * cost 40 ms of allocation at 5,000 pods.
   */
  private scratch: Buffer = Buffer.alloc(0);
  private filled = 0;
  private needed = 0;
  private magicRead = false;
  /** Where the PodList ends in the body, once its field has begun. */
  private listEnd: number | undefined;

  private readonly onContinue: (token: string | undefined) => void;

  // A plain field, not a parameter property: bench/ imports this file with Node's type stripping.
  constructor(onContinue: (token: string | undefined) => void) {
    this.onContinue = onContinue;
  }

  write(chunk: Buffer): void {
    if (this.error !== undefined) return;
    try {
      if (this.needed) {
        const taken = Math.min(this.needed - this.filled, chunk.length);
        chunk.copy(this.scratch, this.filled, 0, taken);
        this.filled += taken;
        if (this.filled < this.needed) return;
        const field = this.scratch.subarray(0, this.needed);
        this.filled = this.needed = 0;
        // exactly one whole field: consumed to its end, never held
        this.consume(field);
        chunk = chunk.subarray(taken);
        if (!chunk.length) return;
      } else if (this.held.length) chunk = Buffer.concat([this.held, chunk]);
      this.consume(chunk);
    } catch (error) {
      this.error = error instanceof Error ? error : new Error(String(error));
    }
  }

  end(): PodPage {
    if (this.error !== undefined) throw this.error;
    if (!this.magicRead || this.held.length || this.needed || (this.listEnd !== undefined && this.listEnd !== this.at))
      throw new Error('a protobuf pod page that ends inside a field');
    if (!this.tokenHeard) this.heard(undefined);
    return { continue: this.token, pods: () => this.pods };
  }

  private heard(token: string | undefined) {
    this.tokenHeard = true;
    this.token = token || undefined;
    this.onContinue(this.token);
  }

  /** Consumes every whole field in `bytes`, holding the rest (or copying a long field together). */
  private consume(bytes: Buffer): void {
    let pos = 0;
    if (!this.magicRead) {
      if (bytes.length < MAGIC.length) return this.hold(bytes, 0, MAGIC.length);
      if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a Kubernetes protobuf body (no k8s\\0 prefix)');
      this.magicRead = true;
      pos = MAGIC.length;
    }
    while (pos < bytes.length) {
      if (this.listEnd !== undefined && this.at + pos === this.listEnd) this.listEnd = undefined;
      const key = varint(bytes, pos);
      if (!key) return this.hold(bytes, pos, 0);
      const [number, type] = [Math.floor(key[0] / 8), key[0] & 7];
      let start = key[1];
      let length: number;
      if (type === LENGTH_DELIMITED) {
        const size = varint(bytes, start);
        if (!size) return this.hold(bytes, pos, 0);
        [length, start] = size;
      } else if (type === VARINT) {
        // up to 10 bytes (a 64-bit value), each but the last with its high bit set
        let last = start;
        while (last < bytes.length && bytes[last] >= 0x80) last++;
        if (last === bytes.length) return this.hold(bytes, pos, 0);
        length = last + 1 - start;
      } else if (type === FIXED64 || type === FIXED32) length = type === FIXED64 ? 8 : 4;
      else throw new Error(`unexpected protobuf wire type ${type} in a pod page`);
      const inList = this.listEnd !== undefined;
      if (!inList && number === RAW && type === LENGTH_DELIMITED) {
        // Into the PodList: its fields follow, read one by one like the envelope's.
        this.listEnd = this.at + start + length;
        pos = start;
        continue;
      }
      const end = start + length;
      if (end > bytes.length) return this.hold(bytes, pos, end - pos);
      if (inList && type === LENGTH_DELIMITED && number === ITEM)
        this.pods.push(asSlimPod(load().pod.decode(bytes.subarray(start, end)) as unknown as DecodedPod));
      else if (inList && type === LENGTH_DELIMITED && number === LIST_META)
        this.heard((load().listMeta.decode(bytes.subarray(start, end)) as unknown as { continue?: string }).continue);
      pos = end;
    }
    this.at += bytes.length;
    this.held = Buffer.alloc(0);
  }

  /** Keeps `bytes` from `from` for the next chunk; `needs` (when known) is how many the field takes. */
  private hold(bytes: Buffer, from: number, needs: number): void {
    this.at += from;
    const rest = bytes.subarray(from);
    this.held = Buffer.alloc(0);
    if (needs > rest.length) {
      // A field longer than what is here: copied together before it is looked at again.
      if (this.scratch.length < needs) this.scratch = Buffer.allocUnsafe(Math.max(needs, 64 * 1024));
      rest.copy(this.scratch);
      this.filled = rest.length;
      this.needed = needs;
    } else this.held = Buffer.from(rest);
  }
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
