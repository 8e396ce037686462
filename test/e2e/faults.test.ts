import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { mesh, meshBin, repoRoot, type MeshResult } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';
import { charts, difference, helm as helmCli, kubeconfig, kubectl, meshOn, proxyToTestbed, resetTestbed, snapshot } from './helpers.js';

/**
 * Issue 13's faults, for real on the testbed: concurrent installs, an API server restarted in the
 * middle of a wait, credentials and certificates that do not work, tools that crash or are
 * killed, and mesh itself killed. Every case says what went wrong, and a re-run converges.
 */
const dir = mkdtempSync(join(tmpdir(), 'mesh-faults-'));
const PATH = () => `${testbedPaths().MESH_TESTBED_BIN}:${process.env.PATH}`;
const pki = () => join(dirOf(kubeconfig()), 'pki');
const dirOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

/**
 * mesh running in the background, its stderr fed line by line to `onLine`. A run still going after
 * `limitMs` is killed (SIGKILL) and its lock removed, so a hang fails this test with mesh's own
 * output instead of holding the install lock against every later one.
 */
function meshLive(args: string[], onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => undefined, limitMs = 150_000) {
  const child = spawn(process.execPath, [meshBin, '--kubeconfig', kubeconfig(), ...args], {
    env: { ...process.env, PATH: PATH(), NO_COLOR: '1', CI: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    for (const line of text.split('\n')) if (line) onLine(line, child);
  });
  const guard = setTimeout(() => {
    stderr += `\n[test] mesh still running after ${limitMs / 1000}s: killed\n`;
    child.kill('SIGKILL');
    void kubectl('delete', 'lease', 'mesh-lock', '-n', 'istio-system', '--ignore-not-found').catch(() => undefined);
  }, limitMs);
  const done = new Promise<MeshResult>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    }),
  );
  return { child, done };
}

const restartApiServer = (downSeconds: number) =>
  new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [join(repoRoot, 'testbed', 'restart.mjs'), 'kube-apiserver', '--down', String(downSeconds)], (error) =>
      error ? reject(new Error(`testbed restart: ${error.message}`)) : resolve(),
    ),
  );

/** A kubeconfig like the testbed's with one part changed (its CA, its user, its server). */
function variantKubeconfig(name: string, change: (doc: KubeconfigDoc) => void): string {
  const doc = parse(readFileSync(kubeconfig(), 'utf8')) as KubeconfigDoc;
  change(doc);
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}
interface KubeconfigDoc {
  clusters: Array<{ cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
/**
 * The helm backend for the waits below: helm returns once applied, so the wait is mesh's own
 * (istioctl waits for readiness itself, inside its install).
 */
const helm = () => ['--backend', 'helm', '--charts', charts()];
const meshWith = (kc: string, args: string[]) => mesh(['--kubeconfig', kc, ...args], { env: { PATH: PATH() } });

beforeAll(resetTestbed, 120_000);

describe('two installs at once', () => {
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('one applies, the other exits 3 naming the holder — never exit 1', async () => {
    const args = ['install', '--profile', 'minimal', '-y', '--timeout', '2m'];
    const [a, b] = await Promise.all([meshOn(args), meshOn(args)]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stderr).toMatch(
      /Error: another mesh run is changing istio-system: \S+@\S+ pid \d+ \(mesh install\) since \S+ \(Lease istio-system\/mesh-lock\)\nhint: wait for it to finish, or pass --wait-for-lock/,
    );
    // the lock is gone once the winner is done
    await expect(kubectl('get', 'lease', 'mesh-lock', '-n', 'istio-system')).rejects.toThrow(/NotFound/);
  });

  it('with --wait-for-lock the second waits, then converges', async () => {
    const args = ['install', '--profile', 'minimal', '-y', '--timeout', '2m', '--wait-for-lock', '2m'];
    const [a, b] = await Promise.all([meshOn(args), meshOn(args)]);
    expect([a.code, b.code], `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 0]);
    expect(a.stderr + b.stderr).toMatch(/waiting for \S+@\S+ pid \d+ \(mesh install\)/);
  });

  it("helm backend with --wait-for-lock: the second run's held helm read the cluster before the first applied, so it applies afresh", async () => {
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
    const args = ['install', '--profile', 'minimal', ...helm(), '-y', '--timeout', '2m', '--wait-for-lock', '2m', '--verbose'];
    try {
      const [a, b] = await Promise.all([meshOn(args), meshOn(args)]);
      expect([a.code, b.code], `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 0]);
      const [first, waited] = /waiting for/.test(a.stderr) ? [b, a] : [a, b];
      expect(waited.stderr).toMatch(/waiting for \S+@\S+ pid \d+ \(mesh install\)/);
      expect(first.stderr).toContain('(started before preflight, held after its render until now)');
      expect(waited.stderr).not.toContain('held after its render');
      expect(waited.stderr).toMatch(/^\$ \S+ upgrade --install istio-base .*--values \S+( --kubeconfig \S+)?$/m);
      const revisions = JSON.parse(await helmCli('history', 'istio-base', '-n', 'istio-system', '-o', 'json')) as Array<{ status: string }>;
      expect(revisions.map((r) => r.status)).toEqual(['superseded', 'deployed']);
    } finally {
      // istioctl installs follow: no helm release left behind.
      await meshOn(['uninstall', '--purge', '-y']);
    }
  });

  it('an expired lock of a dead run is taken over with a warning', async () => {
    await kubectl('create', 'namespace', 'istio-system').catch(() => undefined);
    const past = new Date(Date.now() - 120_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    writeFileSync(
      join(dir, 'stale-lease.yaml'),
      stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'mesh-lock', namespace: 'istio-system' },
        spec: { holderIdentity: 'ci@runner-7 pid 4242 (mesh install)', leaseDurationSeconds: 30, acquireTime: past, renewTime: past },
      }),
    );
    await kubectl('apply', '-f', join(dir, 'stale-lease.yaml'));
    const r = await meshOn(['install', '--profile', 'minimal', '-y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: took over the expired lock of ci@runner-7 pid 4242 \(mesh install\)/);
  });
});

describe('the API server restarts during a wait', () => {
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('install rides it out and reports ready only from a current view', async () => {
    const overlay = join(dir, 'ssd.yaml');
    writeFileSync(overlay, 'spec:\n  components:\n    pilot:\n      k8s:\n        nodeSelector:\n          disktype: ssd\n');
    let restarted: Promise<void> | undefined;
    const { done } = meshLive(['install', '--profile', 'minimal', ...helm(), '-f', overlay, '-y', '--timeout', '120s'], (line) => {
      if (!restarted && line.includes('wait for 1 workload')) restarted = restartApiServer(5);
    });
    await expect.poll(() => restarted !== undefined, { timeout: 60_000 }).toBe(true);
    await restarted;
    // only now can istiod schedule: a node gets the label its nodeSelector asks for
    await expect.poll(async () => kubectl('get', '--raw', '/readyz').catch(() => ''), { timeout: 60_000, interval: 500 }).toBe('ok');
    const node = (await kubectl('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await kubectl('label', 'node', node, 'disktype=ssd');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ok: wait for 1 workload\(s\) to be ready: all ready/);
    await kubectl('label', 'node', node, 'disktype-');
  });

  it('verify --wait rides it out too', async () => {
    await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=0');
    let restarted: Promise<void> | undefined;
    // The testbed's controller manager takes up to a minute after an API server restart to act on the
    // scale-up (its informers back off): the deadline leaves room for that, verify's part is to wait.
    const { done } = meshLive(['verify', '--wait', '180s', '--skip-analyze'], (line) => {
      if (!restarted && line.includes('waiting for the mesh')) restarted = restartApiServer(4);
    });
    await expect.poll(() => restarted !== undefined, { timeout: 60_000 }).toBe(true);
    await restarted;
    await expect.poll(async () => kubectl('get', '--raw', '/readyz').catch(() => ''), { timeout: 60_000, interval: 500 }).toBe('ok');
    // istiod asks for a disktype=ssd node (the install above): give it one again
    const node = (await kubectl('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await kubectl('label', 'node', node, 'disktype=ssd');
    await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=1');
    const r = await done;
    await kubectl('label', 'node', node, 'disktype-');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('past the deadline with the API server still away: exit 4, nothing reported ready', async () => {
    const overlay = join(dir, 'nowhere.yaml');
    writeFileSync(overlay, 'spec:\n  components:\n    pilot:\n      k8s:\n        nodeSelector:\n          disktype: nowhere\n');
    let restarted: Promise<void> | undefined;
    const { done } = meshLive(['install', '--profile', 'minimal', ...helm(), '-f', overlay, '-y', '--timeout', '20s'], (line) => {
      if (!restarted && line.includes('wait for 1 workload')) restarted = restartApiServer(40);
    });
    const r = await done;
    await restarted;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/Error: lost the API server during the wait/);
    expect(r.stderr).not.toMatch(/ok: wait for/);
    await expect.poll(async () => kubectl('get', '--raw', '/readyz').catch(() => ''), { timeout: 60_000, interval: 500 }).toBe('ok');
    // and the same install converges once the cluster is back
    const again = await meshOn(['install', '--profile', 'minimal', ...helm(), '-y']);
    expect(again.code, again.stderr).toBe(0);
  });
});

const checksOf = (json: string) =>
  (JSON.parse(json) as { categories: Array<{ checks: Array<{ id: string; status: string; message: string }> }> }).categories.flatMap(
    (c) => c.checks,
  );

describe('the API server answers 429 and 5xx to reads', () => {
  beforeAll(async () => void (await meshOn(['install', '--profile', 'minimal', ...helm(), '-y'])), 180_000);
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('verify retries each read with backoff and reports what it read: the same result as without faults', async () => {
    // The reference is a settled mesh: istiod patches the webhooks' caBundle a moment after install,
    // and until then that check warns (which --wait, waiting for failures only, does not wait out).
    let direct = await meshOn(['verify', '--skip-analyze', '--wait', '60s', '-o', 'json']);
    for (let tries = 0; tries < 30 && !checksOf(direct.stdout).every((c) => c.status !== 'warn'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      direct = await meshOn(['verify', '--skip-analyze', '-o', 'json']);
    }
    expect(direct.code, direct.stderr).toBe(0);
    // every other GET fails, alternating 503, 429 (Retry-After: 1) and 500
    const proxy = await proxyToTestbed(dir, (n) => (n % 2 ? [503, 429, 500][(n >> 1) % 3] : undefined));
    try {
      const r = await meshWith(proxy.kubeconfig, ['verify', '--skip-analyze', '-o', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = (out: string) => checksOf(out).map((c) => `${c.id}=${c.status}`);
      expect(summary(r.stdout)).toEqual(summary(direct.stdout));
      expect(proxy.seen.faulted).toBeGreaterThan(5);
    } finally {
      await proxy.close();
    }
  });

  it("an answer that cannot be read (a proxy's HTML page): the checks that needed it are unknown with the cause", async () => {
    const page = { status: 200, type: 'text/html', body: '<html>sign in to the proxy</html>' };
    const proxy = await proxyToTestbed(dir, (_, path) => (path.includes('customresourcedefinitions') ? page : undefined));
    try {
      const r = await meshWith(proxy.kubeconfig, ['verify', '--skip-analyze', '-o', 'json']);
      expect(r.stderr).not.toContain('unexpected failure');
      const checks = checksOf(r.stdout);
      const crds = checks.filter((c) => c.id.startsWith('crds-'));
      expect(crds, r.stdout).toHaveLength(2);
      for (const c of crds)
        expect(c).toMatchObject({ status: 'unknown', message: expect.stringMatching(/unreadable answer \(text\/html\)/) });
      expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a server that keeps failing: bounded retries, then the checks that needed it are unknown with the cause — never failed', async () => {
    const proxy = await proxyToTestbed(dir, (_, path) => (path.includes('customresourcedefinitions') ? 503 : undefined));
    try {
      const r = await meshWith(proxy.kubeconfig, ['verify', '--skip-analyze', '-o', 'json']);
      const checks = checksOf(r.stdout);
      const crds = checks.filter((c) => c.id.startsWith('crds-'));
      expect(crds, r.stdout).toHaveLength(2);
      for (const c of crds)
        expect(c).toMatchObject({ status: 'unknown', message: expect.stringMatching(/customresourcedefinitions.*503/) });
      expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
      // one attempt and five retries for the one read, nothing more
      expect(proxy.seen.faulted).toBe(6);
    } finally {
      await proxy.close();
    }
  });
});

describe('connection and credential errors say what is wrong (exit 4, no change)', () => {
  it('a CA the server is not signed by', async () => {
    const other = join(dir, 'other-ca');
    execFileSync('mkdir', ['-p', other]);
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(other, 'ca.key'),
      '-out',
      join(other, 'ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=not-the-testbed-ca',
    );
    const kc = variantKubeconfig('wrong-ca', (d) => (d.clusters[0].cluster['certificate-authority'] = join(other, 'ca.crt')));
    const r = await meshWith(kc, ['verify']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: cannot trust the API server's certificate: context mesh-testbed \(server https:\/\/127\.0\.0\.1:\d+\): \w+; the kubeconfig's certificate-authority is .*other-ca\/ca\.crt: CN=not-the-testbed-ca, valid until .*\nhint: the server's certificate is not signed by that CA/m,
    );
  });

  it('a token the server rejects (401)', async () => {
    const kc = variantKubeconfig('bad-token', (d) => (d.users[0].user = { token: 'not-a-real-token-0123456789' }));
    const r = await meshWith(kc, ['status']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: the API server rejected the credentials of user mesh-testbed-admin: .* \(401 Unauthorized\)\nhint: the token or certificate is expired or revoked/m,
    );
    expect(r.stderr).not.toContain('not-a-real-token');
    // A pipeline's test report still gets a document: kubernetes-api failing with the cause, the rest unknown.
    const junit = await meshWith(kc, ['verify', '--wait', '5s', '-o', 'junit']);
    expect(junit.code).toBe(4);
    expect(junit.stdout).toMatch(/^<\?xml[^]*<testsuites name="mesh verify" tests="24" failures="1" skipped="23"/);
    expect(junit.stdout).toMatch(
      /name="kubernetes-api">\n\s*<failure message="the API server rejected the credentials of user mesh-testbed-admin/,
    );
    expect(junit.stdout).not.toContain('not-a-real-token');
  });

  it('an expired client certificate', async () => {
    const p = (name: string) => join(dir, name);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      p('old.key'),
      '-out',
      p('old.csr'),
      '-subj',
      '/O=system:masters/CN=old-admin',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      p('old.csr'),
      '-CA',
      join(pki(), 'ca.crt'),
      '-CAkey',
      join(pki(), 'ca.key'),
      '-CAcreateserial',
      '-out',
      p('old.crt'),
      '-days',
      '0',
    );
    await new Promise((r) => setTimeout(r, 1100));
    const kc = variantKubeconfig(
      'expired-cert',
      (d) => (d.users[0].user = { 'client-certificate': p('old.crt'), 'client-key': p('old.key') }),
    );
    const r = await meshWith(kc, ['verify']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: the client certificate of user mesh-testbed-admin expired on .*: context mesh-testbed .* rejects it \(401\)/m,
    );
  });

  it('an exec credential plugin that fails: its own words, no token', async () => {
    const plugin = join(dir, 'fake-login');
    writeFileSync(
      plugin,
      '#!/bin/sh\necho "error: session expired for alice (refresh token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln)" >&2\nexit 1\n',
      { mode: 0o700 },
    );
    const kc = variantKubeconfig(
      'exec',
      (d) =>
        (d.users[0].user = {
          exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: ['token'], interactiveMode: 'Never' },
        }),
    );
    const r = await meshWith(kc, ['verify']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: the kubeconfig's credential plugin `.*fake-login` for user mesh-testbed-admin failed: error: session expired for alice/m,
    );
    expect(r.stderr).toMatch(/hint: run `.*fake-login token` yourself/);
    expect(r.stderr).not.toContain('eyJzdWIiOiJhbGljZSJ9');
  });

  it('a server name that does not resolve', async () => {
    const kc = variantKubeconfig('dns', (d) => (d.clusters[0].cluster.server = 'https://api.mesh-testbed.invalid:6443'));
    const r = await meshWith(kc, ['install', '--profile', 'minimal', '-y']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: cannot resolve the API server's host api\.mesh-testbed\.invalid: .*\nhint: check the server name in the kubeconfig, your DNS/m,
    );
  });
});

describe('tools and mesh itself, crashed or killed', () => {
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('istioctl crashing before its prompt: its exit code and last words, nothing changed', async () => {
    const real = join(testbedPaths().MESH_TESTBED_BIN, 'istioctl');
    const crashing = join(dir, 'istioctl-crash-early');
    writeFileSync(
      crashing,
      `#!/bin/sh\ncase "$1" in install) echo "panic: runtime error: invalid memory address" >&2; exit 2;; esac\nexec ${real} "$@"\n`,
      { mode: 0o700 },
    );
    const before = await snapshot();
    const r = await meshOn(['install', '--profile', 'minimal', '-y', '--istioctl', crashing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: istioctl install -f .* failed \(exit 2\): panic: runtime error: invalid memory address/);
    expect(difference(await snapshot(), before)).toEqual([]);
  });

  it('istioctl crashing once answered: its exit code and last words, the record marked failed; a re-run converges', async () => {
    const real = join(testbedPaths().MESH_TESTBED_BIN, 'istioctl');
    const crashing = join(dir, 'istioctl-crash');
    // asks as istioctl does, then crashes once told yes
    writeFileSync(
      crashing,
      `#!/bin/sh\ncase "$1" in install) printf 'Proceed? (y/N) '; read a; echo "panic: runtime error: invalid memory address" >&2; exit 2;; esac\nexec ${real} "$@"\n`,
      { mode: 0o700 },
    );
    const r = await meshOn(['install', '--profile', 'minimal', '-y', '--istioctl', crashing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: istioctl install -f .* failed \(exit 2\): panic: runtime error: invalid memory address/);
    const status = JSON.parse((await meshOn(['status', '-o', 'json'])).stdout);
    expect(status.record).toMatchObject({ status: 'failed', error: expect.stringContaining('exit 2') });
    const again = await meshOn(['install', '--profile', 'minimal', '-y']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('SIGTERM (a cancelled CI job) is handled like Ctrl-C: exit 130, lock released, private files removed', async () => {
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
    const overlay = join(dir, 'never.yaml');
    writeFileSync(overlay, 'spec:\n  components:\n    pilot:\n      k8s:\n        nodeSelector:\n          disktype: never\n');
    let sent = false;
    const { done } = meshLive(['install', '--profile', 'minimal', ...helm(), '-f', overlay, '-y', '--timeout', '2m'], (line, child) => {
      if (!sent && line.includes('wait for 1 workload')) sent = child.kill('SIGTERM');
    });
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Error: interrupted \(SIGTERM\)/);
    await expect(kubectl('get', 'lease', 'mesh-lock', '-n', 'istio-system')).rejects.toThrow(/NotFound/);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('mesh-run-'))).toEqual([]);
    expect((await meshOn(['install', '--profile', 'minimal', ...helm(), '-y'])).code).toBe(0);
    expect((await meshOn(['uninstall', '--purge', '-y'])).code).toBe(0);
  });

  it('SIGKILL during istioctl install: the next run sweeps the files and stops the orphan, the record shows the interruption', async () => {
    const real = join(testbedPaths().MESH_TESTBED_BIN, 'istioctl');
    const slow = join(dir, 'istioctl-slow');
    const answered = join(dir, 'slow-answered');
    // an istioctl whose install hangs once told yes, as a real one does on an unreachable registry
    writeFileSync(
      slow,
      `#!/bin/sh\ncase "$1" in install) printf 'Proceed? (y/N) '; read a; touch ${answered}; while :; do sleep 1; done;; esac\nexec ${real} "$@"\n`,
      { mode: 0o700 },
    );
    const { child, done } = meshLive(['install', '--profile', 'minimal', '-y', '--istioctl', slow]);
    let orphan: number | undefined;
    await expect
      .poll(
        () => {
          const ps = execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' });
          orphan = ps
            .split('\n')
            .map((l) => l.trim().split(/\s+/))
            .find((f) => f[1] === String(child.pid) && f.slice(2).join(' ').includes('istioctl-slow install'))?.[0] as unknown as number;
          // held at its prompt it has changed nothing yet: wait for mesh's answer
          return existsSync(answered) ? orphan : undefined;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBeDefined();
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith(`mesh-run-${child.pid}-`));
    expect(left).toHaveLength(1);
    child.kill('SIGKILL');
    await done;
    expect(existsSync(join(tmpdir(), left[0]))).toBe(true);
    const status = await meshOn(['status']);
    expect(status.stdout).toMatch(new RegExp(`: installing by pid ${child.pid} on `));
    const verify = await meshOn(['verify', '--only', 'install', '-o', 'json']);
    expect(verify.stdout).toContain(`interrupted: mesh pid ${child.pid} is gone`);
    // the next run: files swept, the hanging tool stopped, and the install converges (lock expired)
    const again = await meshOn(['install', '--profile', 'minimal', '-y', '--wait-for-lock', '60s']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `removed the private files of an interrupted mesh run (pid ${child.pid}) and stopped the tool it had started`,
    );
    expect(existsSync(join(tmpdir(), left[0]))).toBe(false);
    await expect.poll(() => existsSync(`/proc/${orphan}`), { timeout: 10_000 }).toBe(false);
  });
});

describe('a namespace being deleted', () => {
  it('install names it before any change (exit 3), not as a permission it lacks; once gone, install converges', async () => {
    await meshOn(['uninstall', '--purge', '--force', '-y']);
    await kubectl('create', 'namespace', 'istio-system').catch(() => undefined);
    // A finalizer nobody removes holds the namespace in Terminating, as a stuck controller would.
    writeFileSync(
      join(dir, 'held.yaml'),
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'held', namespace: 'istio-system', finalizers: ['example.com/hold'] },
      }),
    );
    await kubectl('apply', '-f', join(dir, 'held.yaml'));
    await kubectl('delete', 'namespace', 'istio-system', '--wait=false');
    const before = await snapshot();
    const r = await meshOn(['install', '--profile', 'minimal', '-y']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('Error: namespace istio-system is being deleted: nothing can be created in it until it is gone\n');
    expect(r.stderr).toContain('hint: wait until `kubectl get namespace istio-system` says NotFound, then re-run');
    expect(r.stderr).not.toMatch(/permission|forbidden/);
    expect(difference(await snapshot(), before)).toEqual([]);
    await kubectl('patch', 'configmap', 'held', '-n', 'istio-system', '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    await kubectl('wait', '--for=delete', 'namespace/istio-system', '--timeout=60s');
    const again = await meshOn(['install', '--profile', 'minimal', '-y']);
    expect(again.code, again.stderr).toBe(0);
  });
});
