import { describe, expect, it } from 'vitest';
import type { V1DaemonSet, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { buildReport, unreachableReport } from '../../src/verify/report.js';
import { READ_NAMES, type CheckDefinition, type Facts } from '../../src/verify/types.js';
import { CHECKS } from '../../src/verify/catalog.js';
import { readsFor, readsOf } from '../../src/verify/selection.js';
import { podProblem, deploymentStatus, daemonSetStatus } from '../../src/verify/workload-status.js';
import { shorten, verifyJunit, verifyText } from '../../src/report/verify-output.js';
import { versionOfTag } from '../../src/istio/versions.js';
import type { ReadError } from '../../src/verify/types.js';

const empty = { items: [] };
const deployment = (name: string, want: number, available: number, extra: Partial<V1Deployment['status']> = {}): V1Deployment => ({
  metadata: { name, namespace: 'istio-system', generation: 1, labels: { app: name === 'istiod' ? 'istiod' : name } },
  spec: {
    replicas: want,
    selector: { matchLabels: { app: name } },
    template: { spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.31.0' }] } },
  },
  status: { observedGeneration: 1, replicas: want, updatedReplicas: want, availableReplicas: available, ...extra },
});
const pending: V1Pod = {
  metadata: { name: 'istiod-abc', namespace: 'istio-system', labels: { app: 'istiod' } },
  status: {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
  },
};

function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    context: 'ctx',
    server: 'https://k',
    istioNamespace: 'istio-system',
    workloadNamespaces: ['istio-system'],
    serverVersion: { gitVersion: 'v1.36.3', minor: 36 },
    namespace: { value: { metadata: { name: 'istio-system' } } },
    record: {},
    deployments: { items: [deployment('istiod', 1, 1)] },
    daemonSets: empty,
    statefulSets: empty,
    pods: empty,
    services: empty,
    endpointSlices: empty,
    crds: empty,
    mutatingWebhooks: empty,
    validatingWebhooks: empty,
    namespaces: empty,
    dataPlanePods: { byNamespace: new Map() },
    analyze: { status: 'skipped', reason: 'test' },
    ...overrides,
  };
}
/**
 * The facts as verify gathers them with only `check`'s declared reads made: every other read is a
 * fact that throws when looked at (its `error` aside: a read not made failed nowhere). A check
 * that judges every read stands on them all.
 */
function asReadFor(check: CheckDefinition, f: Facts): Facts {
  const reads = check.judgesEveryRead ? new Set(READ_NAMES) : readsOf([check]);
  const notRead = (name: string) =>
    new Proxy(
      {},
      {
        get: (_, key) => {
          if (key === 'error') return undefined;
          throw new Error(`check ${check.id} looked at ${name}.${String(key)}, which it does not declare in its reads`);
        },
      },
    );
  const guarded: Facts = { ...f, ...(reads.has('record') ? {} : { workloadNamespaces: [f.istioNamespace] }) };
  for (const name of READ_NAMES) if (!reads.has(name)) (guarded as unknown as Record<string, unknown>)[name] = notRead(name);
  return guarded;
}

/** Every check judges the same facts alike when only the reads it declares were made (verify --only). */
function expectDeclaredReads(f: Facts) {
  for (const check of CHECKS) expect(check.run(asReadFor(check, f))).toEqual(check.run(f));
}

const find = (f: Facts, id: string) => {
  expectDeclaredReads(f);
  return buildReport(f, { only: [], skip: [], strict: false }, { durationMs: 1, apiRequests: 1 })
    .categories.flatMap((c) => c.checks)
    .find((c) => c.id === id)!;
};

describe('workload status', () => {
  it('a Deployment is ready only when its rollout is complete and available', () => {
    expect(deploymentStatus(deployment('istiod', 2, 2)).ready).toBe(true);
    expect(deploymentStatus(deployment('istiod', 2, 1))).toEqual({ ready: false, summary: '1/2 available' });
    expect(deploymentStatus(deployment('istiod', 1, 1, { updatedReplicas: 0 })).summary).toBe('1/1 available, rollout in progress');
    expect(deploymentStatus(deployment('istiod', 0, 0))).toEqual({ ready: false, summary: 'scaled to 0 replicas' });
  });
  it('a DaemonSet needs every scheduled pod available and updated', () => {
    const ds = (available: number): V1DaemonSet => ({
      metadata: { generation: 1 },
      status: {
        observedGeneration: 1,
        desiredNumberScheduled: 3,
        numberAvailable: available,
        updatedNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberMisscheduled: 0,
        numberReady: available,
      },
    });
    expect(daemonSetStatus(ds(3)).ready).toBe(true);
    expect(daemonSetStatus(ds(2))).toEqual({ ready: false, summary: '2/3 available on nodes' });
  });
  it('explains a pod that is not Ready in the API words', () => {
    expect(podProblem(pending)).toBe('Pending/Unschedulable: 0/3 nodes are available');
    const crash: V1Pod = {
      metadata: { name: 'p' },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'discovery',
            ready: false,
            restartCount: 7,
            image: 'x',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
          },
        ],
      },
    };
    expect(podProblem(crash)).toBe('container discovery CrashLoopBackOff: back-off 5m0s (restarts 7)');
    const probe: V1Pod = {
      metadata: { name: 'p' },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'discovery', ready: false, restartCount: 0, image: 'x', imageID: '', state: { running: {} } }],
      },
    };
    expect(podProblem(probe)).toBe('container discovery running but its readiness probe is failing');
  });
});

describe('checks', () => {
  it('a pending istiod pod fails control-plane-pods with a scheduling hint', () => {
    const c = find(facts({ deployments: { items: [deployment('istiod', 1, 0)] }, pods: { items: [pending] } }), 'control-plane-pods');
    expect(c).toMatchObject({ status: 'fail', message: 'pod istiod-abc Pending/Unschedulable: 0/3 nodes are available' });
    expect(c.hint).toMatch(/nodeSelector.*see README#control-plane-pods$/);
  });

  const forbidden: ReadError = { kind: 'forbidden', need: 'list customresourcedefinitions.apiextensions.k8s.io', detail: 'Forbidden' };

  it('a forbidden read makes the checks standing on it unknown, never fail or ok', () => {
    const f = facts({ crds: { items: [], error: forbidden } });
    for (const id of ['crds-present', 'crds-established'])
      expect(find(f, id)).toMatchObject({
        status: 'unknown',
        message: 'could not read: list customresourcedefinitions.apiextensions.k8s.io (forbidden)',
        hint: expect.stringMatching(/^grant list customresourcedefinitions\.apiextensions\.k8s\.io: `mesh verify --print-role`/),
      });
    const permissions = find(f, 'kubernetes-permissions');
    expect(permissions.status).toBe('warn');
    expect(permissions.message).toBe('forbidden: list customresourcedefinitions.apiextensions.k8s.io');
    expect(find(f, 'control-plane-available').status).toBe('ok');
  });

  it('unknown does not fail the report; --strict makes it fail', () => {
    const f = facts({ crds: { items: [], error: forbidden }, record: { error: { ...forbidden, need: 'get configmaps in istio-system' } } });
    const lenient = buildReport(
      f,
      { only: ['crds', 'install'], skip: ['install-namespace'], strict: false },
      { durationMs: 1, apiRequests: 1 },
    );
    expect(lenient.summary).toMatchObject({ fail: 0, unknown: 4 });
    expect(lenient.success).toBe(true);
    expect(buildReport(f, { only: ['crds'], skip: [], strict: true }, { durationMs: 1, apiRequests: 1 }).success).toBe(false);
  });

  it('image variants are not versions', () => {
    expect(versionOfTag('1.31.0-distroless')).toBe('1.31.0');
    expect(versionOfTag('1.31.0-debug')).toBe('1.31.0');
    expect(versionOfTag('1.31.0-rc.1')).toBe('1.31.0-rc.1');
    const distroless = deployment('istiod', 1, 1);
    distroless.spec!.template.spec!.containers[0].image = 'docker.io/istio/pilot:1.31.0-distroless';
    const record = {
      value: { toolVersions: { istioctl: '1.31.0' }, backend: 'istioctl', revision: '', workloads: [] },
    } as unknown as Facts['record'];
    expect(find(facts({ deployments: { items: [distroless] }, record }), 'install-drift').status).toBe('ok');
  });

  it('Kubernetes outside the supported range fails kubernetes-version', () => {
    expect(find(facts({ serverVersion: { gitVersion: 'v1.30.0', minor: 30 } }), 'kubernetes-version')).toMatchObject({
      status: 'fail',
      message: 'Kubernetes 1.30 is not supported by Istio 1.31 (supports 1.32-1.36)',
    });
  });

  it('no record but an istiod is a warning; nothing at all is a failure', () => {
    expect(find(facts(), 'install-record').status).toBe('warn');
    expect(find(facts({ deployments: empty }), 'install-record').status).toBe('fail');
  });

  it('analyze errors fail, warnings warn, absence skips, a failed run is unknown', () => {
    const analyze = (outcome: Facts['analyze']) => find(facts({ analyze: outcome }), 'config-analyze');
    expect(
      analyze({
        status: 'ran',
        messages: [{ code: 'IST0101', level: 'Error', message: 'Referenced host not found', origin: 'VirtualService a/b' }],
      }),
    ).toMatchObject({ status: 'fail', message: '1 error(s): IST0101 VirtualService a/b: Referenced host not found' });
    expect(analyze({ status: 'skipped', reason: 'istioctl not found' }).status).toBe('skip');
    expect(analyze({ status: 'failed', error: 'forbidden' }).status).toBe('unknown');
  });

  it('an istioctl more than one minor from the control plane warns; within one, or unknown, does not', () => {
    const ran: Facts['analyze'] = { status: 'ran', messages: [] };
    const check = (istioctlVersion: string | undefined, analyze: Facts['analyze'] = ran) =>
      find(facts({ analyze, istioctlVersion }), 'config-istioctl-version');
    expect(check('1.29.2')).toMatchObject({
      status: 'warn',
      message: 'istioctl 1.29.2 and control plane 1.31.0 are 2 minors apart (Istio supports one)',
    });
    expect(check('1.33.0').status).toBe('warn');
    expect(check('1.30.5')).toMatchObject({ status: 'ok', message: 'istioctl 1.30.5, control plane 1.31.0' });
    expect(check('1.32.0-beta.1').status).toBe('ok');
    expect(check(undefined).status).toBe('skip');
    expect(check('1.20.0', { status: 'skipped', reason: '--skip-analyze' }).status).toBe('skip');
  });

  it('a control plane on a tag that names no release (latest) is not called within one minor', () => {
    const dev = deployment('istiod', 1, 1);
    dev.spec!.template.spec!.containers[0].image = 'gcr.io/istio-testing/pilot:latest';
    const found = find(
      facts({ analyze: { status: 'ran', messages: [] }, istioctlVersion: '1.31.0', deployments: { items: [dev] } }),
      'config-istioctl-version',
    );
    expect(found).toMatchObject({
      status: 'skip',
      message: 'istioctl 1.31.0, control plane latest: not two release versions of Istio, nothing to compare',
    });
  });

  it('--only and --skip select categories and checks; --strict fails on warnings', () => {
    const f = facts();
    const only = buildReport(f, { only: ['crds'], skip: ['crds-established'], strict: false }, { durationMs: 1, apiRequests: 1 });
    expect(only.categories.map((c) => [c.id, c.checks.map((x) => x.id)])).toEqual([['crds', ['crds-present']]]);
    const warnOnly = buildReport(f, { only: ['install'], skip: [], strict: false }, { durationMs: 1, apiRequests: 1 });
    expect(warnOnly.success).toBe(true);
    expect(buildReport(f, { only: ['install'], skip: [], strict: true }, { durationMs: 1, apiRequests: 1 }).success).toBe(false);
  });
});

describe('verify reads what the selected checks stand on', () => {
  const reads = (only: string[], skip: string[] = []) => [...readsFor({ only, skip })].sort();
  it('--only control-plane: its workloads and the record naming their namespaces, no namespace list and no data-plane pods', () => {
    expect(reads(['control-plane'])).toEqual(['daemonSets', 'deployments', 'pods', 'record']);
  });
  it('the data-plane pods bring the namespace list that says whose pods they are', () => {
    expect(reads(['data-plane'])).toEqual(expect.arrayContaining(['dataPlanePods', 'namespaces']));
    expect(reads([], ['data-plane'])).not.toContain('dataPlanePods');
  });
  it('every read with nothing skipped; kubernetes-permissions judges every read --skip leaves', () => {
    expect(reads([])).toEqual([...READ_NAMES].sort());
    expect(reads(['kubernetes'])).toEqual([...READ_NAMES].sort());
    expect(reads(['kubernetes'], ['data-plane'])).not.toContain('dataPlanePods');
    expect(reads(['kubernetes'], ['kubernetes-permissions'])).toEqual(['deployments', 'record']);
  });
});

describe('reporters', () => {
  const report = buildReport(
    facts({ pods: { items: [pending] } }),
    { only: [], skip: [], strict: false },
    { durationMs: 12, apiRequests: 9 },
  );
  it('text groups by category with the hint under each failure', () => {
    const text = verifyText(report);
    expect(text).toMatch(/^kubernetes\n----------\n√ Kubernetes API reachable/);
    expect(text).toMatch(/× Istio CRDs present: missing 14 of 14: .*\[crds-present\]\n {4}hint: re-run `mesh install`/);
    expect(text.trim().split('\n').at(-1)).toMatch(
      /^Status check results are × {2}\(\d+ ok, \d+ warn, \d+ fail, \d+ unknown, \d+ skipped; 9 API requests, 12 ms\)$/,
    );
  });
  it('text cuts long lists with "and N more"; JSON keeps them whole', () => {
    const pods = Array.from({ length: 5000 }, (_, i) => `pod-${i}`).join(', ');
    const cut = shorten(`5000 pods: ${pods}`);
    expect(cut.length).toBeLessThan(450);
    expect(cut).toMatch(/ … and \d+ more \(-o json lists all\)$/);
    expect(shorten('short, list')).toBe('short, list');
  });

  it('junit escapes XML and has one testcase per check', () => {
    const xml = verifyJunit({
      ...report,
      categories: [{ id: 'config', checks: [{ id: 'config-analyze', status: 'fail', description: 'd', message: '<a & "b">', hint: 'h' }] }],
    });
    expect(xml).toContain('<failure message="&lt;a &amp; &quot;b&quot;&gt;">');
    expect(xml.match(/<testcase /g)).toHaveLength(1);
  });
});

describe('gateway-services: how each gateway is reached', () => {
  const service = (type: string, extra: Partial<V1Service> = {}): V1Service => ({
    metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
    spec: {
      type,
      selector: { istio: 'ingressgateway' },
      ports: [
        { name: 'status-port', port: 15021, nodePort: 31021 },
        { name: 'http2', port: 80, targetPort: 8080, nodePort: 32000 },
      ],
    },
    ...extra,
  });
  const gatewayPod: V1Pod = {
    metadata: { name: 'gw-1', namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
    status: { hostIP: '192.0.2.7', conditions: [{ type: 'Ready', status: 'True' }] },
  };
  const reach = (svc: V1Service, more: Partial<Facts> = {}) =>
    find(facts({ services: { items: [svc] }, pods: { items: [gatewayPod] }, ...more }), 'gateway-services');

  it('NodePort: the node port on the address of the node the gateway runs on', () => {
    expect(reach(service('NodePort'))).toMatchObject({ status: 'ok', message: 'istio-ingressgateway NodePort: http://192.0.2.7:32000' });
  });
  it('LoadBalancer: its address; without one, a warning that names the node port meanwhile and the flags', () => {
    const withAddress = service('LoadBalancer', { status: { loadBalancer: { ingress: [{ ip: '203.0.113.5' }] } } });
    expect(reach(withAddress).message).toBe('istio-ingressgateway LoadBalancer: http://203.0.113.5');
    const pending = reach(service('LoadBalancer'));
    expect(pending.status).toBe('warn');
    expect(pending.message).toContain('without an external address (meanwhile its node port: http://192.0.2.7:32000)');
    expect(pending.hint).toContain('--ingress-type NodePort');
  });
  it("hostNetwork: the node's address and the port the proxy listens on", () => {
    const onHost: V1Deployment = {
      ...deployment('istio-ingressgateway', 1, 1),
      spec: { selector: { matchLabels: {} }, template: { spec: { hostNetwork: true, containers: [] } } },
    };
    expect(reach(service('ClusterIP'), { deployments: { items: [onHost] } }).message).toBe(
      'istio-ingressgateway hostNetwork: http://192.0.2.7:8080',
    );
  });
  it('ClusterIP: in-cluster only; no Ready pod: says so instead of an address', () => {
    expect(reach(service('ClusterIP')).message).toBe(
      'istio-ingressgateway ClusterIP: in-cluster only, http://istio-ingressgateway.istio-system.svc',
    );
    expect(reach(service('NodePort'), { pods: empty }).message).toContain('http://<node address>:32000 (no Ready pod yet)');
  });
});

describe('addons-available', () => {
  const kiali = {
    name: 'kiali',
    source: 'k',
    installedAt: 'now',
    objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'kiali' }],
  };
  const loki = {
    name: 'loki',
    source: 'l',
    installedAt: 'now',
    objects: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'istio-system', name: 'loki' }],
  };
  const record = (addons: unknown[]) => ({ value: { workloads: [], toolVersions: {}, labelledNamespaces: [], addons } as never });
  const addons = (more: Partial<Facts>) => find(facts(more), 'addons-available');

  it('skips without recorded addons; judges each by the workload it read', () => {
    expect(addons({}).status).toBe('skip');
    expect(addons({ record: record([]) }).message).toContain('mesh addons install');
    expect(addons({ record: record([kiali]), deployments: { items: [deployment('kiali', 1, 1)] } })).toMatchObject({
      status: 'ok',
      message: 'kiali 1/1 available',
    });
  });
  it('fails for a missing or unavailable workload, with the way back', () => {
    const missing = addons({ record: record([kiali]), deployments: empty });
    expect(missing).toMatchObject({ status: 'fail', message: 'kiali: Deployment/istio-system/kiali not found' });
    expect(missing.hint).toContain('mesh addons install');
    const down = addons({
      record: record([kiali, loki]),
      deployments: { items: [deployment('kiali', 1, 0)] },
      statefulSets: {
        items: [
          {
            metadata: { name: 'loki', namespace: 'istio-system', generation: 1 },
            spec: { replicas: 1, selector: {}, serviceName: 'loki', template: {} },
            status: { observedGeneration: 1, replicas: 1, availableReplicas: 1, updatedReplicas: 1 },
          },
        ],
      },
    });
    expect(down.status).toBe('fail');
    expect(down.message).toBe('kiali: Deployment kiali 0/1 available');
  });
});

describe('revisions in verify', () => {
  const canary = {
    ...deployment('istiod-canary', 1, 1),
    metadata: { name: 'istiod-canary', namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': 'canary' } },
  };
  const injected = (name: string, revision: string): V1Pod => ({
    metadata: {
      name,
      namespace: 'shop',
      annotations: { 'istio.io/rev': revision, 'sidecar.istio.io/status': `{"revision":"${revision}"}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f9c7b6d', uid: 'u', controller: true }],
    },
    spec: { containers: [{ name: 'web' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.0' }] },
    status: { phase: 'Running' },
  });
  const shop = (labels: Record<string, string>) => ({ items: [{ metadata: { name: 'shop', labels } }] });
  const pods = (...list: V1Pod[]) => ({ byNamespace: new Map([['shop', list]]) });

  it('ok with the proxies per revision when each is on the revision its namespace injects', () => {
    const f = facts({
      deployments: { items: [deployment('istiod', 1, 1), canary] },
      namespaces: shop({ 'istio.io/rev': 'canary' }),
      dataPlanePods: pods(injected('a', 'canary')),
    });
    expect(find(f, 'data-plane-revisions')).toMatchObject({ status: 'ok', message: 'canary: 1 proxies' });
  });

  it('warns about proxies not yet restarted after their namespace moved, with the restart to run', () => {
    const f = facts({
      deployments: { items: [deployment('istiod', 1, 1), canary] },
      namespaces: shop({ 'istio.io/rev': 'canary' }),
      dataPlanePods: pods(injected('a', 'default'), injected('b', 'canary')),
    });
    const c = find(f, 'data-plane-revisions');
    expect(c).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('shop (revision default, namespace injects canary): deployment/web'),
    });
    expect(c.hint).toMatch(/^kubectl rollout restart deployment\/web -n shop/);
  });

  it('a pod no controller owns gets a hint kubectl can run: delete and create it, not `rollout restart pod/...`', () => {
    const bare: V1Pod = {
      metadata: { name: 'legacy', namespace: 'shop' },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    };
    const c = find(facts({ namespaces: shop({ 'istio-injection': 'enabled' }), dataPlanePods: pods(bare) }), 'data-plane-injection');
    expect(c).toMatchObject({ status: 'warn', message: '1 of 1 pods have no istio-proxy: shop/pod/legacy (1)' });
    expect(c.hint).toMatch(
      /restart them, e\.g\. kubectl delete pod legacy -n shop, then create it again from its manifest \(no controller/,
    );
    const fromReplicaSet = injected('job-x1', 'default');
    const stale: V1Pod = {
      ...fromReplicaSet,
      metadata: {
        ...fromReplicaSet.metadata,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', uid: 'j', controller: true }],
      },
    };
    const r = find(
      facts({
        deployments: { items: [deployment('istiod', 1, 1), canary] },
        namespaces: shop({ 'istio.io/rev': 'canary' }),
        dataPlanePods: pods(stale),
      }),
      'data-plane-revisions',
    );
    expect(r.hint).toMatch(/^kubectl delete pod job-x1 -n shop \(its job\/migrate creates it again\)/);
  });

  it('fails for proxies of a revision that no longer runs', () => {
    const f = facts({ namespaces: shop({ 'istio-injection': 'enabled' }), dataPlanePods: pods(injected('a', 'canary')) });
    expect(find(f, 'data-plane-revisions')).toMatchObject({ status: 'fail', message: expect.stringContaining('shop (revision canary)') });
  });

  describe('webhook-overlap (IST0139)', () => {
    const byLabel = { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] };
    const injector = (name: string, namespaceSelector: object) => ({
      metadata: { name, labels: { app: 'sidecar-injector' } },
      webhooks: [
        {
          name: 'namespace.sidecar-injector.istio.io',
          clientConfig: {},
          namespaceSelector,
          objectSelector: {},
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
        },
      ],
    });
    // istioctl's deactivation of the default revision's own injector when a default tag exists
    const deactivated = { matchExpressions: [{ key: 'istio.io/deactivated', operator: 'In', values: ['never-match'] }] };

    it('fails when the default revision injector and the default tag both select the same pods', () => {
      const c = find(
        facts({
          mutatingWebhooks: { items: [injector('istio-sidecar-injector', byLabel), injector('istio-revision-tag-default', byLabel)] },
        }),
        'webhook-overlap',
      );
      expect(c).toMatchObject({
        status: 'fail',
        message: 'istio-revision-tag-default and istio-sidecar-injector select the same pods: a new pod is injected by both',
      });
    });

    it('is ok once istioctl deactivated one of them', () => {
      const c = find(
        facts({
          mutatingWebhooks: { items: [injector('istio-sidecar-injector', deactivated), injector('istio-revision-tag-default', byLabel)] },
        }),
        'webhook-overlap',
      );
      expect(c.status).toBe('ok');
    });
  });

  it('names each tag once, from its injector, though its validator carries the tag label too (list items have no kind)', () => {
    const labels = (tag: string, rev: string) => ({ 'istio.io/rev': rev, 'istio.io/tag': tag });
    const c = find(
      facts({
        mutatingWebhooks: {
          items: [
            { metadata: { name: 'istio-revision-tag-default', labels: labels('default', 'default') } },
            { metadata: { name: 'istio-sidecar-injector', labels: { 'istio.io/rev': 'default' } } },
          ],
        },
        validatingWebhooks: { items: [{ metadata: { name: 'istiod-default-validator', labels: labels('default', 'default') } }] },
      }),
      'webhook-revisions',
    );
    expect(c).toMatchObject({ status: 'ok', message: 'revisions default; tags default->default' });
  });

  it('fails a tag webhook pointing at a revision with no istiod, naming the tag to move', () => {
    const tag = { metadata: { name: 'istio-revision-tag-prod', labels: { 'istio.io/rev': 'gone', 'istio.io/tag': 'prod' } } };
    const c = find(facts({ mutatingWebhooks: { items: [tag] } }), 'webhook-revisions');
    expect(c).toMatchObject({ status: 'fail', message: 'istio-revision-tag-prod (tag prod) points at revision gone, which has no istiod' });
    expect(c.hint).toMatch(/^mesh tag set prod --revision <a running revision: default> --overwrite/);
  });
});

describe('data-plane pods are held slimmed (verify at tens of thousands of pods)', () => {
  const fat = (name: string, revision: string, proxy: 'sidecar' | 'native' | 'none', extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
    metadata: {
      name,
      namespace: 'shop',
      labels: { app: 'web' },
      annotations: proxy === 'none' ? {} : { 'istio.io/rev': revision, 'sidecar.istio.io/status': `{"revision":"${revision}"}` },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f9c7b6d', uid: 'u', controller: true },
        { apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'v' },
      ],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
      ...extra,
    },
    spec: {
      containers: [
        { name: 'web', image: 'nginx', env: [{ name: 'A', value: 'b' }], volumeMounts: [{ name: 'v', mountPath: '/v' }] },
        ...(proxy === 'sidecar' ? [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.2', args: ['proxy', 'sidecar'] }] : []),
      ],
      ...(proxy === 'native'
        ? { initContainers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.31.0-distroless', restartPolicy: 'Always' }] }
        : {}),
      volumes: [{ name: 'v', emptyDir: {} }],
      nodeName: 'kwok-node-0',
    },
    status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
  });

  it('keeps exactly what the data-plane checks read, and they judge the slimmed pods as the full ones', async () => {
    const { slimPod } = await import('../../src/adapters/pod-list.js');
    const pods = [
      fat('a', 'default', 'sidecar'),
      fat('b', 'canary', 'native'),
      fat('c', 'default', 'none'),
      fat('d', 'default', 'sidecar', { deletionTimestamp: new Date('2026-11-30T00:00:00Z') }),
    ];
    const slim = pods.map(slimPod);
    expect(slim[0]).toEqual({
      metadata: {
        name: 'a',
        namespace: 'shop',
        labels: { app: 'web' },
        annotations: { 'istio.io/rev': 'default', 'sidecar.istio.io/status': '{"revision":"default"}' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f9c7b6d', uid: 'u', controller: true }],
      },
      spec: {
        containers: [
          { name: 'web', image: 'nginx' },
          { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.2' },
        ],
      },
      status: { phase: 'Running' },
    });
    const base = {
      deployments: { items: [deployment('istiod', 1, 1)] },
      namespaces: { items: [{ metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } }] },
    };
    for (const id of ['data-plane-injection', 'data-plane-version', 'data-plane-revisions']) {
      const full = find(facts({ ...base, dataPlanePods: { byNamespace: new Map([['shop', pods]]) } }), id);
      const slimmed = find(facts({ ...base, dataPlanePods: { byNamespace: new Map([['shop', slim]]) } }), id);
      expect(slimmed, id).toEqual(full);
    }
  });

  it('a protobuf pod list decodes to what slimPod keeps of the JSON pod, skipping every other field', async () => {
    const { podPageSink, slimPod, SCHEMA } = await import('../../src/adapters/pod-list.js');
    const { readPodPage } = await import('../helpers/pod-page.js');
    const { default: protobuf } = await import('protobufjs/light.js');
    // mesh's schema widened with fields it must skip, at their numbers in Kubernetes' generated.proto
    const wider = structuredClone(SCHEMA) as unknown as Record<string, Record<string, unknown>>;
    const add = (type: string, fields: Record<string, unknown>) => Object.assign(wider[type], fields);
    add('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', { managedFields: { rule: 'repeated', type: 'ManagedFieldsEntry', id: 17 } });
    add('k8s.io.api.core.v1.PodSpec', { volumes: { rule: 'repeated', type: 'Volume', id: 1 }, nodeName: { type: 'string', id: 10 } });
    add('k8s.io.api.core.v1.Container', {
      args: { rule: 'repeated', type: 'string', id: 4 },
      env: { rule: 'repeated', type: 'EnvVar', id: 7 },
      restartPolicy: { type: 'string', id: 24 },
    });
    add('k8s.io.api.core.v1.PodStatus', {
      conditions: { rule: 'repeated', type: 'PodCondition', id: 2 },
      podIP: { type: 'string', id: 6 },
    });
    const nested: Record<string, Record<string, unknown>> = {
      'k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry': {
        manager: { type: 'string', id: 1 },
        operation: { type: 'string', id: 2 },
      },
      'k8s.io.api.core.v1.Volume': { name: { type: 'string', id: 1 } },
      'k8s.io.api.core.v1.EnvVar': { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
      'k8s.io.api.core.v1.PodCondition': { type: { type: 'string', id: 1 }, status: { type: 'string', id: 2 } },
      ...wider,
    };
    const root = new protobuf.Root();
    for (const [name, fields] of Object.entries(nested)) {
      const parts = name.split('.');
      root.define(parts.slice(0, -1).join('.')).add(protobuf.Type.fromJSON(parts.at(-1)!, { fields } as protobuf.IType));
    }
    root.resolveAll();
    // the pods as the server's JSON has them (a timestamp is an RFC 3339 string)
    const asServed = [
      fat('a', 'default', 'sidecar'),
      fat('b', 'canary', 'native'),
      fat('c', 'default', 'none', { ownerReferences: [] }),
      fat('d', 'default', 'sidecar', { deletionTimestamp: '2026-11-30T00:00:00Z' as unknown as Date }),
    ];
    const asProtobuf = asServed.map((pod) => {
      const { managedFields, deletionTimestamp, ...metadata } = pod.metadata!;
      return {
        metadata: {
          ...metadata,
          managedFields: managedFields!.map((f) => ({ manager: f.manager, operation: f.operation })),
          ...(deletionTimestamp ? { deletionTimestamp: { seconds: Date.parse(String(deletionTimestamp)) / 1000 } } : {}),
        },
        spec: pod.spec,
        status: pod.status,
      };
    });
    const podList = root.lookupType('k8s.io.api.core.v1.PodList');
    const raw = podList.encode(podList.fromObject({ metadata: { continue: 'next-page-token' }, items: asProtobuf })).finish();
    const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.encode({ raw }).finish()]);

    const protobufType = 'application/vnd.kubernetes.protobuf';
    const { page, tokenAfter } = readPodPage(body, protobufType);
    expect(page.continue).toBe('next-page-token');
    expect(tokenAfter).toBe(body.length);
    const decoded = page.pods();
    const expected = asServed.map((pod) => slimPod(JSON.parse(JSON.stringify(pod)) as V1Pod));
    expect(decoded).toEqual(expected);
    expect(decoded[3].metadata?.deletionTimestamp).toBe('2026-11-30T00:00:00Z');
    // Read as it arrives: cut at every byte, and in chunks of every size up to a pod's, the same
    // pods, and the token heard with the chunk that completes the list's metadata (before the pods).
    const metadataEnds = body.indexOf('next-page-token') + 'next-page-token'.length;
    for (let cut = 1; cut < body.length; cut++) {
      const sink = podPageSink(protobufType, () => undefined);
      sink.write(body.subarray(0, cut));
      sink.write(body.subarray(cut));
      expect(sink.end().pods()).toEqual(expected);
    }
    for (let chunk = 1; chunk < 600; chunk++) {
      const read = readPodPage(body, protobufType, chunk);
      expect(read.page.pods()).toEqual(expected);
      expect(read.tokenAfter).toBeGreaterThanOrEqual(metadataEnds);
      expect(read.tokenAfter).toBeLessThan(metadataEnds + chunk);
    }
    // a page that ends inside a field is an error, never the pods that came
    const cutShort = podPageSink(protobufType, () => undefined);
    cutShort.write(body.subarray(0, body.length - 5));
    expect(() => cutShort.end()).toThrow(/ends inside a field/);
    // and the same page as JSON (a server that would not send protobuf) opens to the same pods
    const jsonPage = readPodPage(Buffer.from(JSON.stringify({ metadata: {}, items: asServed })), 'application/json', 10).page;
    expect(jsonPage.continue).toBeUndefined();
    expect(jsonPage.pods()).toEqual(expected);
  });
});

describe('a cluster that did not answer', () => {
  it('fails kubernetes-api with the cause and leaves every other selected check unknown, never ok or missing', () => {
    const r = unreachableReport(
      { message: 'cluster unreachable: context c (server https://x): ECONNREFUSED', hint: 'check that the cluster is running' },
      { only: [], skip: ['config'], strict: false },
      { durationMs: 5, apiRequests: 1, context: 'c', istioNamespace: 'istio-system' },
    );
    const all = r.categories.flatMap((c) => c.checks);
    expect(r).toMatchObject({ schemaVersion: 1, success: false, context: 'c', summary: { fail: 1, ok: 0, warn: 0, skip: 0 } });
    expect(r.summary.unknown).toBe(all.length - 1);
    expect(r.categories.map((c) => c.id)).not.toContain('config');
    expect(all[0]).toEqual({
      id: 'kubernetes-api',
      status: 'fail',
      description: 'Kubernetes API reachable',
      message: 'cluster unreachable: context c (server https://x): ECONNREFUSED',
      hint: 'check that the cluster is running; see README#kubernetes-api',
    });
    expect(new Set(all.slice(1).map((c) => c.status))).toEqual(new Set(['unknown']));
    expect(Object.keys(r)).toEqual(
      Object.keys(buildReport(facts({}), { only: [], skip: [], strict: false }, { durationMs: 0, apiRequests: 0 })),
    );
  });
});
