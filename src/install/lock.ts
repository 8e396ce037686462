import { hostname, userInfo } from 'node:os';
import { KubeApiError, type KubeGateway } from '../adapters/kube.js';
import { preflightError } from '../errors.js';
import { onInterrupt } from '../adapters/cleanup.js';
import { parseDuration } from '../cli/options.js';
import type { StepRunner } from '../report/progress.js';
import { LOCK_NAME, LOCK_SECONDS } from './lock-name.js';

/**
 * One change at a time per Istio namespace: a coordination.k8s.io Lease `mesh-lock`, held and
 * renewed for the whole change by install and uninstall. Two CI jobs, or two people, no longer
 * both pass preflight and collide; a second run says who holds the lock and since when, or waits
 * (`--wait-for-lock`). A run killed outright stops renewing, and its lock is taken over once it
 * has expired, with a warning.
 */
const RENEW_EVERY_MS = 10_000;

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

export interface LockHolder {
  holder: string;
  since: string;
  renewed: string;
  expired: boolean;
}

export interface Lock {
  /** Set when a renewal failed: the change goes on, but another run could take the lock. */
  readonly lost: string | undefined;
  release(): Promise<void>;
}

/** Who is running this change: user@host pid N (mesh <command>). */
export const lockIdentity = (command: string): string => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (a container's random uid) */
  }
  return `${user}@${hostname()} pid ${process.pid} (mesh ${command})`;
};

const path = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
const micro = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

function describe(lease: Lease, now: Date): LockHolder {
  const renewed = lease.spec.renewTime ?? lease.spec.acquireTime ?? '';
  const expiresAt = Date.parse(renewed) + (lease.spec.leaseDurationSeconds ?? LOCK_SECONDS) * 1000;
  return {
    holder: lease.spec.holderIdentity ?? 'unknown',
    since: lease.spec.acquireTime ?? renewed,
    renewed,
    expired: !(expiresAt > now.getTime()),
  };
}

/** Who holds the lock now, if anyone (preflight's look, before anything changes). */
export async function lockHolder(kube: KubeGateway, ns: string, now = new Date()): Promise<LockHolder | undefined> {
  const lease = await kube.get<Lease>(`${path(ns)}/${LOCK_NAME}`);
  return lease?.spec.holderIdentity ? describe(lease, now) : undefined;
}

export const heldBy = (h: LockHolder) => `${h.holder} since ${h.since}`;

const lockedError = (ns: string, h: LockHolder) =>
  preflightError(
    `another mesh run is changing ${ns}: ${heldBy(h)} (Lease ${ns}/${LOCK_NAME})`,
    `wait for it to finish, or pass --wait-for-lock <duration>; a lock whose holder died expires ${LOCK_SECONDS}s after its last renewal`,
  );

export interface AcquireOptions {
  identity: string;
  /** 0: refuse at once when the lock is held. */
  waitSeconds: number;
  onWait?: (holder: LockHolder) => void;
  onTakeOver?: (holder: LockHolder) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Takes the lock (create, or replace an expired one under its resourceVersion), renewing it until released. */
export async function acquireLock(kube: KubeGateway, ns: string, options: AcquireOptions): Promise<Lock> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + options.waitSeconds * 1000;
  let waitedFor: string | undefined;
  for (;;) {
    const now = new Date();
    const body = (resourceVersion?: string): Lease => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: LOCK_NAME,
        namespace: ns,
        labels: { 'app.kubernetes.io/managed-by': 'mesh' },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: { holderIdentity: options.identity, leaseDurationSeconds: LOCK_SECONDS, acquireTime: micro(now), renewTime: micro(now) },
    });
    try {
      const created = await kube.request<Lease>('POST', path(ns), body());
      return holdLock(kube, ns, created, options.identity);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
    const current = await kube.get<Lease>(`${path(ns)}/${LOCK_NAME}`);
    if (!current) continue; // released between our create and our read: try again
    const holder = describe(current, now);
    if (holder.expired || !current.spec.holderIdentity) {
      try {
        const taken = await kube.request<Lease>('PUT', `${path(ns)}/${LOCK_NAME}`, body(current.metadata.resourceVersion));
        if (current.spec.holderIdentity) options.onTakeOver?.(holder);
        return holdLock(kube, ns, taken, options.identity);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
        continue; // another run took it first
      }
    }
    if (Date.now() >= deadline) throw lockedError(ns, holder);
    if (waitedFor !== holder.holder) options.onWait?.(holder);
    waitedFor = holder.holder;
    await sleep(Math.min(2000, Math.max(100, deadline - Date.now())));
  }
}

function holdLock(kube: KubeGateway, ns: string, lease: Lease, identity: string): Lock {
  let current = lease;
  let lost: string | undefined;
  let inflight: Promise<void> = Promise.resolve();
  const renew = async () => {
    try {
      current = await kube.request<Lease>('PUT', `${path(ns)}/${LOCK_NAME}`, {
        ...current,
        spec: { ...current.spec, holderIdentity: identity, renewTime: micro(new Date()) },
      });
    } catch (error) {
      // A namespace being deleted (uninstall's last steps) takes the lock with it: nothing to hold.
      if (error instanceof KubeApiError && error.status === 404) return;
      lost = error instanceof Error ? error.message : String(error);
    }
  };
  const timer = setInterval(() => void (inflight = renew()), RENEW_EVERY_MS);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      await inflight;
      try {
        // Only our own lease: the uid precondition keeps a release from deleting a successor's lock.
        await kube.request('DELETE', `${path(ns)}/${LOCK_NAME}`, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion },
        });
      } catch (error) {
        if (error instanceof KubeApiError && (error.status === 404 || error.status === 409)) return;
        throw error;
      }
    },
  };
}

/** A lock held as a step; `release` lets it go and forgets the Ctrl-C cleanup (never throws). */
export interface HeldLock {
  release(): Promise<void>;
}

/** The lock as a step of a change (addons, samples): taken, reported, and released on Ctrl-C. */
export async function holdLockStep(
  kube: KubeGateway,
  ns: string,
  command: string,
  waitFor: string | undefined,
  steps: StepRunner,
): Promise<HeldLock> {
  const waitSeconds = waitFor ? parseDuration(waitFor, '--wait-for-lock') : 0;
  return steps.run({ id: 'lock', description: 'take the install lock' }, 'take the install lock', async (handle) => {
    const lock = await acquireLock(kube, ns, {
      identity: lockIdentity(command),
      waitSeconds,
      onWait: (h) => handle.info(`waiting for ${heldBy(h)}`),
      onTakeOver: (h) => handle.info(`warning: took over the expired lock of ${heldBy(h)} (last renewed ${h.renewed})`),
    });
    const forget = onInterrupt(() => lock.release());
    return {
      release: async () => {
        forget();
        await lock.release().catch(() => undefined);
      },
    };
  });
}
