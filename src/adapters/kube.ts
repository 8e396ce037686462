import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import { KubeConfig, type V1ObjectMeta, type V1Pod } from '@kubernetes/client-node';
import { CliError, ExitCode, unreachableError, usageError, type ExitCodeValue } from '../errors.js';
import { MESH_VERSION } from '../version.js';
import type { BodySink, PodPage } from './pod-list.js';
import {
  connectionError,
  credentialPluginError,
  NAMESPACE_DELETING,
  namespaceDeleting,
  namespaceDeletingHint,
  redactCredentials,
  rejectedCredentials,
} from './kube-errors.js';

/** Which cluster to talk to: kubectl's --kubeconfig and --context. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

/**
 * The narrow gateway to the Kubernetes API. client-node loads the kubeconfig and its auth
 * (certificates, tokens, exec plugins); requests go through this one place so every command
 * can say how many it made. Nothing here logs credentials.
 */
const USER_AGENT = `mesh/${MESH_VERSION} (${process.platform}/${process.arch}) node/${process.versions.node}`;

export interface KubeList<T> {
  /** `continue` is set when the list was asked for with a `limit` and more items follow. */
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class KubeApiError extends CliError {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly reason: string,
  ) {
    const { message, exitCode, hint } = describeApiError(status, method, path, reason);
    super(message, exitCode, hint);
  }
}

/** What a failed request says to the user: its message, the exit code and, where one helps, the fix. */
function describeApiError(
  status: number,
  method: string,
  path: string,
  reason: string,
): { message: string; exitCode: ExitCodeValue; hint?: string } {
  const request = `(${method} ${path})`;
  if (status === 403) {
    // The API server refuses (403) to create anything in a namespace being deleted: no permission helps.
    const deleting = NAMESPACE_DELETING.exec(reason)?.[1];
    if (deleting)
      return { message: `${namespaceDeleting(deleting)} ${request}`, exitCode: ExitCode.preflight, hint: namespaceDeletingHint(deleting) };
    // A refused request that nothing judged as unknown ends the command as a permission problem (exit 3), said briefly.
    const refused = refusedAction(reason);
    if (refused)
      return {
        message: `forbidden: ${refused} ${request}`,
        exitCode: ExitCode.preflight,
        hint: `use a context allowed to ${refused.replace(/^cannot /, '')}, or ask for that permission (kubectl auth can-i)`,
      };
  }
  return { message: `${method} ${path}: ${status} ${reason}`, exitCode: status === 401 ? ExitCode.unreachable : ExitCode.unexpected };
}

/** A 403 names the user and the object at length; what may not be done is the news (`cannot get roles.rbac... in ns`). */
export function refusedAction(reason: string): string {
  const m = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(reason);
  return m ? `cannot ${m[1]} ${m[2]}${m[3] ? `.${m[3]}` : ''}${m[4] ? ` in ${m[4]}` : ''}` : reason;
}

/** A body that could not be decoded: a failed read of that path, naming what was read and why. */
const unreadableAnswer = (status: number, method: string, path: string, what: string, error: unknown): KubeApiError =>
  new KubeApiError(status, method, path, `unreadable answer (${what}): ${(error as Error).message}`);

/** Asks for metadata only; a server that cannot (an aggregated API) answers with the full list, which has metadata too. */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface KubeGateway {
  readonly context: string;
  readonly server: string;
  /** Requests made so far (lists, gets, writes, and one per watch opened). */
  readonly requests: number;
  request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  /** GET that returns undefined for 404 instead of throwing. */
  get<T>(path: string): Promise<T | undefined>;
  /** DELETE that returns false for 404 (already gone) instead of throwing: deletes stay idempotent. */
  remove(path: string): Promise<boolean>;
  list<T>(path: string, query?: Record<string, string>): Promise<KubeList<T>>;
  /**
   * Every pod of a list, page by page, with only the fields mesh reads of them (names, labels,
   * annotations, controlling owner, deletion, container names and images, hostNetwork, phase),
   * asked for as protobuf: see pod-list.ts.
   */
  listPods(path: string, query?: Record<string, string>): Promise<V1Pod[]>;
  /** A list of the objects' metadata only (PartialObjectMetadataList): a fraction of the bytes of the full objects. */
  listMetadata(path: string, query?: Record<string, string>): Promise<KubeList<{ metadata?: V1ObjectMeta }>>;
  /** Streams watch events until `signal` aborts or the server closes; resolves then. */
  watch<T>(path: string, query: Record<string, string>, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

export function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw usageError(
      `cannot load kubeconfig ${target.kubeconfig ?? '(default)'}: ${(error as Error).message.split('\n')[0]}`,
      'pass --kubeconfig <path> or set KUBECONFIG',
    );
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context))
      throw usageError(
        `--context ${target.context}: no such context in the kubeconfig`,
        `known contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      );
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster())
    throw unreachableError(
      `no cluster configured for context "${kc.getCurrentContext() || '(none)'}"`,
      'pass --kubeconfig and --context for a reachable cluster',
    );
  return kc;
}

const query = (params?: Record<string, string>): string => {
  const search = new URLSearchParams(params ?? {}).toString();
  return search ? `?${search}` : '';
};

/** A page of a pod list asked for: its continue token (as early as known), and the page. */
interface PageInFlight {
  next: Promise<string | undefined>;
  whole: Promise<PodPage>;
}

/** Reads retry on these: the API server is busy or restarting, not refusing. */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
/** Backoff for a read: 0.25, 0.5, 1, 2, 4 s (a Retry-After up to 5 s is honoured): about 8 s in all. */
export const READ_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

/**
 * client-node's agent for a direct connection is a plain `new https.Agent(options)`, which closes
 * each connection after one request: every request paid a TCP and TLS handshake (verify makes 14,
 * an install about 20). The same agent with keep-alive reuses connections, as client-go does. A
 * proxy agent (HTTPS_PROXY, socks) is left as it is.
 */
function keptAlive(agent: RequestOptions['agent']): RequestOptions['agent'] {
  if (agent?.constructor === HttpsAgent) return new HttpsAgent({ ...(agent as HttpsAgent).options, keepAlive: true });
  if (agent?.constructor === HttpAgent) return new HttpAgent({ ...(agent as HttpAgent & { options: object }).options, keepAlive: true });
  return agent;
}

export async function createKubeGateway(target: KubeTarget, options: { sleep?: (ms: number) => Promise<void> } = {}): Promise<KubeGateway> {
  const kc = loadKubeConfig(target);
  const cluster = kc.getCurrentCluster()!;
  const base = new URL(cluster.server);
  const context = kc.getCurrentContext();
  const where = { context, server: cluster.server, cluster, user: kc.getCurrentUser() ?? undefined };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const tls: RequestOptions = {};
  try {
    // Client certificates, tokens, and exec credential plugins (aws, gcloud, kubelogin) are applied here.
    await kc.applyToHTTPSOptions(tls);
  } catch (error) {
    if (where.user?.exec) throw credentialPluginError(error as Error, where);
    throw unreachableError(
      `cannot use the credentials of context ${context}: ${redactCredentials((error as Error).message)}`,
      'check the kubeconfig user entry',
    );
  }
  tls.agent = keptAlive(tls.agent);
  let requests = 0;
  /** Once the server has answered, a refused or reset connection is a restart to ride out, not a wrong address. */
  let answered = false;
  const unreachable = (error: NodeJS.ErrnoException) => connectionError(error, where);

  const open = (method: string, path: string, body?: string, contentType?: string, signal?: AbortSignal, accept = 'application/json') =>
    new Promise<IncomingMessage>((resolve, reject) => {
      requests++;
      const send = base.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = send(
        {
          ...tls,
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method,
          path: `${base.pathname.replace(/\/$/, '')}${path}`,
          headers: {
            ...(tls.headers as Record<string, string> | undefined),
            accept,
            // Names mesh in the API server's audit log, so request counts can be checked there.
            'user-agent': USER_AGENT,
            // Always a length: Node frames a DELETE's body (preconditions) with neither a length nor
            // chunks, so the server read no body and, on a kept-alive connection, took it for the
            // start of the next request (400 Bad Request).
            ...(body !== undefined ? { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          },
          signal,
          timeout: 30_000,
        },
        resolve,
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(error.name === 'AbortError' ? error : Object.assign(unreachable(error), { cause: error })),
      );
      req.end(body);
    });

  // 'data' events rather than `for await`: a page of 2,500 pods arrives in thousands of TLS
  // records, and the async iterator's promise per chunk cost about 120 ms of a 50,000-pod verify.
  // With a sink the chunks go there as they come, and the body is not gathered.
  const readBody = (res: IncomingMessage, sink?: BodySink<unknown>): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on(
        'data',
        sink
          ? (chunk: Buffer) => sink.write(chunk)
          : (chunk: Buffer) => {
              chunks.push(chunk);
              length += chunk.length;
            },
      );
      // finished() also rejects a body cut short (the connection closed before its end).
      finished(res, (error) => (error ? reject(error) : resolve(Buffer.concat(chunks, length))));
    });
  const parseJson = <T>(body: Buffer): T => (body.length ? JSON.parse(body.toString('utf8')) : undefined) as T;

  async function send<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
    accept?: string,
    /** Turns a successful answer's body into the value; JSON unless told otherwise. */
    parse: (body: Buffer, contentType: string | undefined) => T = parseJson,
    /** The message of an error answer's Status when it is not JSON. */
    errorMessage?: (body: Buffer, contentType: string | undefined) => string | undefined,
    /** Takes a successful answer's body as it arrives instead of `parse` taking it whole. */
    sinkFor?: (contentType: string | undefined) => BodySink<T>,
  ): Promise<T> {
    // Reads are retried with backoff through 429/5xx and (once the server has answered) connection
    // resets; writes are not, as they may have been applied.
    for (let attempt = 0; ; attempt++) {
      const retry = method === 'GET' && attempt < READ_RETRY_DELAYS_MS.length;
      let res: IncomingMessage;
      try {
        res = await open(method, path, body === undefined ? undefined : JSON.stringify(body), contentType, undefined, accept);
      } catch (error) {
        const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
        if (retry && answered && code && RETRYABLE_NETWORK.has(code)) {
          await sleep(READ_RETRY_DELAYS_MS[attempt]);
          continue;
        }
        throw error;
      }
      const sink = sinkFor && (res.statusCode ?? 0) < 300 ? sinkFor(res.headers['content-type']) : undefined;
      const raw = await readBody(res, sink);
      const status = res.statusCode ?? 0;
      answered = true;
      if (retry && RETRYABLE_STATUS.has(status)) {
        const after = Number(res.headers['retry-after']);
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : READ_RETRY_DELAYS_MS[attempt]);
        continue;
      }
      if (status === 401) throw rejectedCredentials(where);
      const type = res.headers['content-type'];
      if (status >= 400) {
        const text = raw.toString('utf8');
        let reason = errorMessage?.(raw, type) ?? text.slice(0, 200);
        try {
          reason = (JSON.parse(text) as { message?: string }).message ?? reason;
        } catch {
          /* not a JSON Status object */
        }
        throw new KubeApiError(status, method, path, reason);
      }
      try {
        return sink ? sink.end() : parse(raw, type);
      } catch (error) {
        // An answer that cannot be decoded (a proxy's HTML page, a cut body) is a failed read of
        // that path, which verify reports as unknown with this cause, not a crash of mesh.
        throw unreadableAnswer(status, method, path, type ?? 'no content type', error);
      }
    }
  }

  const gateway: KubeGateway = {
    context,
    server: cluster.server,
    get requests() {
      return requests;
    },
    request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
      return send<T>(method, path, body, contentType);
    },
    async get<T>(path: string): Promise<T | undefined> {
      try {
        return await gateway.request<T>('GET', path);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async remove(path: string): Promise<boolean> {
      try {
        await gateway.request('DELETE', path);
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return false;
        throw error;
      }
    },
    list<T>(path: string, params?: Record<string, string>): Promise<KubeList<T>> {
      return gateway.request<KubeList<T>>('GET', `${path}${query(params)}`);
    },
    async listPods(path: string, params?: Record<string, string>) {
      // Loaded here: only verify's data-plane read needs the decoder.
      const { podPageSink, statusMessage, POD_PAGE, PROTOBUF_ACCEPT } = await import('./pod-list.js');
      /** A page in flight: its continue token as soon as its first bytes say it, its pods once it is all there. */
      const page = (token?: string): PageInFlight => {
        let early!: (token: string | undefined) => void;
        const head = new Promise<string | undefined>((resolve) => (early = resolve));
        const whole = send(
          'GET',
          `${path}${query({ limit: String(POD_PAGE), ...params, ...(token ? { continue: token } : {}) })}`,
          undefined,
          undefined,
          PROTOBUF_ACCEPT,
          undefined,
          statusMessage,
          (type) => podPageSink(type, early),
        );
        // The whole page's own token when the first bytes could not say it; its error when it failed.
        const next = Promise.race([head, whole.then((p) => p.continue)]);
        // A page asked for early can fail while the one before it is still read, before anyone
        // awaits it (or never awaited, when that one fails): Node would call that an unhandled
        // rejection. The failure still reaches whoever awaits the page; a page not wanted drops it.
        next.catch(() => undefined);
        whole.catch(() => undefined);
        return { next, whole };
      };
      const everyPage = async () => {
        const pods: V1Pod[] = [];
        let current: PageInFlight | undefined = page();
        while (current) {
          // The next page is asked for as soon as this one's token is known, while this one still
          // arrives and is decoded: at 50,000 pods the server writes one page while mesh reads another.
          const token: string | undefined = await current.next;
          const following: PageInFlight | undefined = token ? page(token) : undefined;
          const got: PodPage = await current.whole;
          try {
            for (const pod of got.pods()) pods.push(pod);
          } catch (error) {
            throw unreadableAnswer(200, 'GET', path, 'a page of pods', error);
          }
          current = following;
        }
        return pods;
      };
      try {
        return await everyPage();
      } catch (error) {
        // A continue token lasts until etcd compacts its revision (5 minutes by default), which a
        // long list on a big, busy cluster can outlast: 410 Gone. Like client-go's pager, mesh then
        // lists again from a fresh snapshot, once (paged still, so memory stays bounded).
        if (error instanceof KubeApiError && error.status === 410 && error.path.includes('continue=')) return everyPage();
        throw error;
      }
    },
    async listMetadata(path: string, params?: Record<string, string>) {
      const list = await send<KubeList<{ metadata?: V1ObjectMeta }>>('GET', `${path}${query(params)}`, undefined, undefined, METADATA_LIST);
      // An empty PartialObjectMetadataList comes with `items: null`.
      return { ...list, items: list.items ?? [] };
    },
    async watch<T>(
      path: string,
      params: Record<string, string>,
      onEvent: (event: WatchEvent<T>) => void,
      signal: AbortSignal,
    ): Promise<void> {
      let res: IncomingMessage;
      try {
        res = await open('GET', `${path}${query({ ...params, watch: 'true', allowWatchBookmarks: 'true' })}`, undefined, undefined, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      if (res.statusCode === 401) throw rejectedCredentials(where);
      if ((res.statusCode ?? 0) >= 400)
        throw new KubeApiError(res.statusCode ?? 0, 'WATCH', path, (await readBody(res)).toString('utf8').slice(0, 200));
      answered = true;
      let buffer = '';
      try {
        for await (const chunk of res) {
          buffer += (chunk as Buffer).toString('utf8');
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    },
  };
  return gateway;
}
