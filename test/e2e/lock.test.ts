import { beforeAll, describe, expect, it } from 'vitest';
import { createKubeGateway } from '../../src/adapters/kube.js';
import { acquireLock } from '../../src/install/lock.js';
import { LOCK_NAME } from '../../src/install/lock-name.js';
import { kubeconfig, kubectl, resetTestbed } from './helpers.js';

/**
 * The install lock on the real API server. Its release deletes the Lease under a uid and
 * resourceVersion precondition, so a run never deletes the lock a successor took meanwhile. The
 * precondition travels in the DELETE's body: until every body was sent with its length, Node
 * framed it so that the server read no body at all, and the delete was unconditional.
 */
const NS = 'lock-test';

describe('the install lock (Lease) on the testbed', () => {
  beforeAll(async () => {
    resetTestbed();
    await kubectl('create', 'namespace', NS);
  }, 60_000);

  it("a release deletes its own Lease, and leaves a successor's alone", async () => {
    const kube = await createKubeGateway({ kubeconfig: kubeconfig() });
    const lease = () => kubectl('get', 'lease', LOCK_NAME, '-n', NS, '-o', 'jsonpath={.spec.holderIdentity}').catch(() => 'gone');

    const first = await acquireLock(kube, NS, { identity: 'first', waitSeconds: 0 });
    expect(await lease()).toBe('first');
    await first.release();
    expect(await lease()).toBe('gone');

    // the lock taken again, then replaced by a successor (a new Lease: another uid) before release
    const second = await acquireLock(kube, NS, { identity: 'second', waitSeconds: 0 });
    await kubectl('delete', 'lease', LOCK_NAME, '-n', NS);
    await kube.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: LOCK_NAME, namespace: NS },
      spec: { holderIdentity: 'successor', leaseDurationSeconds: 60 },
    });
    await second.release();
    expect(await lease()).toBe('successor');
    // and the connection the release used still serves the next request (no stray body on it)
    expect((await kube.list(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`)).items).toHaveLength(1);
  });
});
