import { KubeApiError, type KubeGateway } from './kube.js';

export interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    generation?: number;
  };
}

/**
 * List once, then watch from that resourceVersion and keep a local copy up to date: the way to
 * wait for a state change without polling. A watch the server ends is resumed; 410 Gone re-lists.
 */
export class Informer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  private resourceVersion = '';
  private readonly controller = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly kube: KubeGateway,
    private readonly path: string,
    private readonly query: Record<string, string> = {},
  ) {}

  private key = (obj: T) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

  async list(): Promise<void> {
    const list = await this.kube.list<T>(this.path, this.query);
    this.items.clear();
    for (const item of list.items) this.items.set(this.key(item), item);
    this.resourceVersion = list.metadata.resourceVersion ?? '';
  }

  /** Set while the API server cannot be reached: since when, and why. */
  lost?: { since: number; error: Error };
  /** Set when the watch stopped for good (an error that is not an outage). */
  failed?: Error;

  /** Lists, then watches in the background, calling onChange after every event. */
  async start(onChange: () => void, watchSeconds: number): Promise<void> {
    await this.list();
    this.running = this.loop(onChange, watchSeconds);
    this.running.catch((error: unknown) => {
      this.failed = error instanceof Error ? error : new Error(String(error));
      onChange();
    });
  }

  /**
   * Watches from the last resourceVersion; a watch the server ends is resumed, 410 Gone re-lists,
   * and an outage (the API server restarting) is ridden out: retried with backoff, then re-listed
   * so the copy is current again before anyone judges it.
   */
  private async loop(onChange: () => void, watchSeconds: number): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      let gone = false;
      try {
        await this.kube.watch<T & { code?: number }>(
          this.path,
          { ...this.query, resourceVersion: this.resourceVersion, timeoutSeconds: String(Math.max(1, Math.ceil(watchSeconds))) },
          (event) => {
            if (event.type === 'ERROR') {
              gone = (event.object as { code?: number }).code === 410;
              return;
            }
            if (event.object.metadata?.resourceVersion) this.resourceVersion = event.object.metadata.resourceVersion;
            if (event.type === 'BOOKMARK') return;
            if (event.type === 'DELETED') this.items.delete(this.key(event.object));
            else this.items.set(this.key(event.object), event.object);
            onChange();
          },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof KubeApiError && error.status === 410) gone = true;
        else if (isOutage(error)) {
          this.lost ??= { since: Date.now(), error: error as Error };
          onChange();
          await delay(Math.min(250 * 2 ** failures++, 4000), signal);
          gone = true; // re-list: events during the outage may be compacted away
        } else throw error;
      }
      if (gone && !signal.aborted) {
        try {
          await this.list();
          this.lost = undefined;
          failures = 0;
        } catch (error) {
          if (!isOutage(error)) throw error;
        }
        onChange();
      }
    }
  }

  stop(): void {
    this.controller.abort();
  }
}

/** The API server is away (restarting, overloaded), as opposed to refusing the request. */
function isOutage(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.status === 429 || error.status >= 500;
  // A refused connect arrives wrapped (cause); a stream cut mid-watch arrives bare ("aborted", ECONNRESET).
  const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code ?? (error as NodeJS.ErrnoException).code;
  return code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND'].includes(code);
}

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
