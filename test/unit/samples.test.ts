import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage, formatCheck, hasSidecar, injectionLabels } from '../../src/samples/bookinfo.js';
import { buildSampleRemovalPlan, sampleRemovalPlanToText } from '../../src/samples/removal-plan.js';
import type { RecordedSample } from '../../src/plan/record.js';

/** `--check N` against a real HTTP server on loopback (the testbed has no Envoy data plane to answer). */
describe('checkPage', () => {
  let server: Server;
  let base: string;
  let served = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      served++;
      // Every third request fails, as a flaky backend would.
      res.statusCode = req.url === '/productpage' && served % 3 !== 0 ? 200 : 503;
      res.end('<title>Simple Bookstore App</title>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends exactly N requests and counts the status codes', async () => {
    served = 0;
    const outcome = await checkPage(`${base}/productpage`, 6);
    expect(served).toBe(6);
    expect(outcome).toEqual({ url: `${base}/productpage`, requests: 6, results: { '200': 4, '503': 2 }, ok: false });
    expect(formatCheck(outcome)).toBe(`6 GET ${base}/productpage: 4 x 200, 2 x 503`);
  });

  it('is ok only when every request got 200', async () => {
    served = 0;
    expect((await checkPage(`${base}/productpage`, 2)).ok).toBe(true);
  });

  it('counts connection failures by their code instead of throwing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await checkPage(`http://127.0.0.1:${port}/productpage`, 2);
    expect(outcome).toMatchObject({ results: { ECONNREFUSED: 2 }, ok: false });
  });
});

it('injection labels follow the revision; a sidecar may be a native one (init container)', () => {
  expect(injectionLabels('')).toEqual({ 'istio-injection': 'enabled' });
  expect(injectionLabels('canary')).toEqual({ 'istio.io/rev': 'canary' });
  expect(hasSidecar({ spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] } })).toBe(true);
  expect(hasSidecar({ spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'istio-proxy' }] } })).toBe(true);
  expect(hasSidecar({ spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'istio-init' }] } })).toBe(false);
});

describe('mesh sample remove --dry-run: the plan, pure over the recorded sample', () => {
  const sample: RecordedSample = {
    name: 'bookinfo',
    namespace: 'shop',
    sources: ['samples/bookinfo/platform/kube/bookinfo.yaml'],
    objects: [
      { apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: 'details' },
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'details-v1' },
    ],
    labels: { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' },
    previous: { 'istio-injection': 'disabled' },
    createdNamespace: false,
    installedAt: '2026-12-02T00:00:00Z',
  };

  it('deletes in the reverse of the apply order and gives each label back (null: mesh added it)', () => {
    const plan = buildSampleRemovalPlan(sample, 'ctx', 'ConfigMap/istio-system/mesh-install');
    expect(plan.objects).toEqual(['Deployment/shop/details-v1', 'Service/shop/details']);
    expect(plan.labels).toEqual({ 'istio-injection': 'disabled', 'istio.io/rev': null });
    expect(sampleRemovalPlanToText(plan)).toBe(
      [
        'mesh sample remove bookinfo (dry run: nothing changed) in context ctx',
        'delete 2 objects of bookinfo in shop',
        '  Deployment/shop/details-v1',
        '  Service/shop/details',
        'then give namespace shop its labels back: istio-injection=disabled, istio.io/rev removed',
        'forget the sample in ConfigMap/istio-system/mesh-install',
        '',
      ].join('\n'),
    );
  });

  it('a namespace the sample created goes with it, labels untouched', () => {
    const plan = buildSampleRemovalPlan({ ...sample, createdNamespace: true }, 'ctx', 'ConfigMap/istio-system/mesh-install');
    expect(plan).toMatchObject({ deleteNamespace: true, labels: {} });
    expect(sampleRemovalPlanToText(plan)).toContain('then delete namespace shop (the sample created it)\n');
  });
});
