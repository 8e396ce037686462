import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfig, kubectl, kubectlApply, meshOn, resetTestbed, resetTestbedWithKubeletApi } from './helpers.js';
import { meshBin } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';

/**
 * Issue 10's dashboards, end to end: mesh port-forwards through the real API server to the pod,
 * and kwok's PortForward resource makes the fake kubelet forward that pod port to a server this
 * test runs on loopback, so the page fetched from the URL mesh printed is that server's reply.
 */
let server: Server;
let serverPort: number;

beforeAll(async () => {
  // kwok serving the kubelet API (port-forward) is this file's own testbed variant.
  resetTestbedWithKubeletApi();
  server = createServer((req, res) => res.end(`reply of the test's server to ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as AddressInfo).port;
  const install = await meshOn(['install', '--profile', 'minimal', '-y']);
  expect(install.code, install.stderr).toBe(0);
  const addon = await meshOn(['addons', 'install', 'kiali', '--istio-dir', testbedPaths().MESH_ISTIO_SRC]);
  expect(addon.code, addon.stderr).toBe(0);
}, 240_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await meshOn(['uninstall', '--purge', '-y']);
  resetTestbed();
}, 120_000);

/** Starts `mesh dashboard ...`, resolving with the URL it prints and the running process. */
function startDashboard(args: string[]) {
  const child = spawn(process.execPath, [meshBin, '--kubeconfig', kubeconfig(), 'dashboard', ...args], {
    env: { ...process.env, PATH: `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}` },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    void exited.then((code) => reject(new Error(`mesh dashboard exited ${code}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

describe('mesh dashboard', () => {
  it("kiali: the URL mesh prints answers with the pod port's reply; Ctrl-C closes it, exit 0", async () => {
    const pod = (await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=kiali', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await kubectlApply({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'PortForward',
      metadata: { name: pod, namespace: 'istio-system' },
      spec: { forwards: [{ ports: [20001], target: { address: '127.0.0.1', port: serverPort } }] },
    });
    const dashboard = startDashboard(['kiali', '--port', '0']);
    const url = await dashboard.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/kiali$/);
    expect(url).not.toContain(`:${serverPort}/`);
    const page = await fetch(url);
    expect(await page.text()).toBe("reply of the test's server to /kiali");
    expect(await (await fetch(`${url}/console`)).text()).toBe("reply of the test's server to /kiali/console");
    expect(dashboard.stderr()).toContain(`-> pod istio-system/${pod}:20001`);

    dashboard.child.kill('SIGINT');
    expect(await dashboard.exited).toBe(0);
    expect(dashboard.stderr()).toContain(`closed the port-forward to istio-system/${pod}`);
    await expect(fetch(url)).rejects.toThrow();
  });

  it.each<[string, string[], number, RegExp]>([
    [
      'an unknown dashboard',
      ['kibana'],
      2,
      /^Error: dashboard kibana: unknown\nhint: mesh opens: kiali, grafana, prometheus, jaeger, zipkin, envoy, controlz/,
    ],
    [
      'an addon not installed',
      ['grafana'],
      3,
      /^Error: dashboard grafana: grafana is not installed in istio-system .*\nhint: mesh addons install grafana/,
    ],
    ['envoy without a pod', ['envoy'], 2, /^Error: dashboard envoy: name the pod/],
    ['a pod without a proxy', ['envoy', 'nope', '--namespace', 'kube-system'], 2, /^Error: dashboard envoy: no pod nope in kube-system/],
    ['a bad port', ['kiali', '--port', '70000'], 2, /^Error: --port 70000: not a port/],
  ])('refuses %s with one line and a hint', async (_name, args, code, message) => {
    const r = await meshOn(['dashboard', ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a local port in use is exit 2 naming it', async () => {
    const r = await meshOn(['dashboard', 'kiali', '--port', String(serverPort)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^Error: --port ${serverPort}: 127\\.0\\.0\\.1:${serverPort} is in use\\nhint: pick another with --port`),
    );
  });
});
