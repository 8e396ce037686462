import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { mesh } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';
import { kubeconfig } from './helpers.js';

/**
 * A kubeconfig cluster with `proxy-url: socks5://...` (an `ssh -D` tunnel, a bastion): client-node
 * builds a SocksProxyAgent for it, from socks-proxy-agent and socks, which the bundle loads only on
 * first use (scripts/bundle.mjs). The real mesh binary must still reach the testbed through a real
 * SOCKS5 server, and must not go around it.
 */
interface Socks {
  port: number;
  connects: string[];
  close: () => Promise<void>;
}

/** A SOCKS5 server (RFC 1928, no authentication, CONNECT only), just enough for the test. */
async function socks5(): Promise<Socks> {
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('data', (greeting) => {
      if (greeting[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0])); // version 5, no authentication
      client.once('data', (request) => {
        const [version, command, , type] = request;
        if (version !== 5 || command !== 1) return client.destroy();
        let host: string;
        let at: number;
        if (type === 1) [host, at] = [[...request.subarray(4, 8)].join('.'), 8];
        else if (type === 3) [host, at] = [request.subarray(5, 5 + request[4]).toString(), 5 + request[4]];
        else return client.destroy();
        const port = request.readUInt16BE(at);
        connects.push(`${host}:${port}`);
        const upstream = net.connect(port, host, () => {
          sockets.add(upstream);
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])); // succeeded
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connects,
    // mesh's kept-alive connections outlive its process for a moment: closed here, not awaited
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describe('a kubeconfig proxy-url (socks5)', () => {
  let dir: string;
  let proxy: Socks;
  const testbedKubeconfig = () =>
    parse(readFileSync(kubeconfig(), 'utf8')) as { clusters: Array<{ cluster: Record<string, unknown> & { server: string } }> };
  const viaProxy = (port: number): string => {
    const doc = testbedKubeconfig();
    doc.clusters[0].cluster['proxy-url'] = `socks5://127.0.0.1:${port}`;
    const path = join(dir, `socks-${port}.kubeconfig`);
    writeFileSync(path, stringify(doc), { mode: 0o600 });
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-socks-'));
    proxy = await socks5();
  });
  afterAll(async () => {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the API server through the proxy', async () => {
    const server = new URL(testbedKubeconfig().clusters[0].cluster.server);
    const r = await mesh(['--kubeconfig', viaProxy(proxy.port), 'status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Kubernetes ${testbedPaths().MESH_KUBERNETES_VERSION}`);
    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([`${server.hostname}:${server.port}`]));
  }, 60_000);

  it('does not go around a proxy that is down', async () => {
    const down = await socks5();
    await down.close();
    const r = await mesh(['--kubeconfig', viaProxy(down.port), 'status']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('Kubernetes v');
    expect(r.stderr).toMatch(/^Error: .*\nhint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a one-line error, no stack trace
  }, 60_000);
});
