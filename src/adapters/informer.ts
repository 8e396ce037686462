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

  /** Lists, then watches in the background, calling onChange after every event. */
  async start(onChange: () => void, watchSeconds: number): Promise<void> {
    await this.list();
    this.running = this.loop(onChange, watchSeconds);
    this.running.catch(() => undefined);
  }

  private async loop(onChange: () => void, watchSeconds: number): Promise<void> {
    const signal = this.controller.signal;
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
        if (!(error instanceof KubeApiError && error.status === 410)) throw error;
        gone = true;
      }
      if (gone && !signal.aborted) {
        await this.list();
        onChange();
      }
    }
  }

  stop(): void {
    this.controller.abort();
  }
}
