import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { execFileSync, spawnSync } from 'node:child_process';
import { mesh, meshBin, repoRoot } from '../helpers/mesh.js';
import { tempDir } from '../helpers/tmp.js';
import { buildProgram } from '../../src/main.js';

const ANSI = /\u001b\[/;

describe('mesh basics', () => {
  it('--help lists every command, exit 0: the help of the whole program, from the listings the build read', async () => {
    const r = await mesh(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['profile', 'render', 'install', 'uninstall', 'verify', 'status', 'completion']) expect(r.stdout).toContain(c);
    expect(r.stdout).toBe(
      buildProgram(() => undefined)
        .configureHelp({ helpWidth: 80 })
        .helpInformation(),
    );
  });

  it('--version prints package.json version', async () => {
    const r = await mesh(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('commands that do not talk to a cluster never load the Kubernetes client; cluster commands never load undici', () => {
    // A module hook reports every file Node loads: client-node's is the one defining its KubeConfig class.
    const dir = mkdtempSync(join(tmpdir(), 'mesh-hook-'));
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      "import { registerHooks } from 'node:module';\n" +
        'registerHooks({ load(url, context, next) { const r = next(url, context);\n' +
        "  if (/\\bKubeConfig\\s*=\\s*class\\b|\\bclass KubeConfig\\b/.test(String(r.source ?? ''))) process.stderr.write(`CLIENT-NODE ${url}\\n`);\n" +
        "  if (url.endsWith('/vendor/undici.cjs')) process.stderr.write(`UNDICI ${url}\\n`);\n" +
        '  return r; } });\n',
    );
    const loads = (args: string[]) =>
      spawnSync(process.execPath, ['--import', hook, meshBin, ...args], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', MESH_CACHE: join(dir, 'cache') },
      });
    for (const args of [['--help'], ['render', '--profile', 'demo'], ['install', '--profile', 'demo', '--dry-run'], ['profile', 'list']]) {
      const r = loads(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, args.join(' ')).not.toContain('CLIENT-NODE');
    }
    // and the hook does see it where it is loaded (a command that talks to a cluster)
    const verify = loads(['verify', '--kubeconfig', join(dir, 'none'), '-o', 'json']);
    expect(verify.stderr).toContain('CLIENT-NODE');
    // undici (1 MB, built apart into dist/vendor) is client-node's own fetch path, which mesh never
    // takes; only a download loads it
    expect(verify.stderr).not.toContain('UNDICI');
    const download = loads(['istio', 'fetch', '1.31.0', '--mirror', 'http://127.0.0.1:1']);
    expect(download.stderr).toContain('UNDICI');
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unknown flag or command is a usage error (exit 2)', async () => {
    expect((await mesh(['install', '--bogus'])).code).toBe(2);
    expect((await mesh(['frobnicate'])).code).toBe(2);
    const bad = await mesh(['render', '--backend', 'kubectl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--backend/);
  });

  it('completion scripts name the commands and flags', async () => {
    const bash = await mesh(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _mesh_complete mesh');
    expect(bash.stdout).toContain('--inject-namespace');
    // values from the profiles directory and verify's catalog, not a copy
    expect(bash.stdout).toContain('--profile) COMPREPLY=($(compgen -W "ambient default demo empty minimal remote sds"');
    expect(bash.stdout).toMatch(
      /--skip\) COMPREPLY=\(\$\(compgen -W "kubernetes .* kubernetes-permissions .* config-analyze config-istioctl-version"/,
    );
    expect((await mesh(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    expect((await mesh(['completion', 'fish'])).stdout).toContain("__fish_seen_subcommand_from install' -l dry-run");
    const tcsh = await mesh(['completion', 'tcsh']);
    expect(tcsh.code).toBe(2);
    expect(tcsh.stderr).toContain('hint: use bash, zsh or fish');
  });
});

describe('profile', () => {
  it('list as text and JSON', async () => {
    const text = await mesh(['profile', 'list']);
    expect(text.stdout.split('\n')[0]).toMatch(/^ambient\s+Sidecar-less/);
    const json = JSON.parse((await mesh(['profile', 'list', '-o', 'json'])).stdout);
    expect(json.schemaVersion).toBe(1);
    expect(json.profiles.map((p: { name: string }) => p.name)).toContain('sds');
  });

  it('show prints the layered intent with --set applied, nothing of Istio restated', async () => {
    const r = await mesh(['profile', 'show', 'demo', '--set', 'values.pilot.traceSampling=1']);
    const doc = parse(r.stdout);
    expect(doc.spec).toEqual({ profile: 'demo', values: { pilot: { traceSampling: 1 } } });
    expect(doc.layeredFrom).toEqual(['builtin:demo']);
    expect(doc.effective).toBeUndefined();
  });

  it('show --effective adds what istioctl makes of it, marked as computed', async () => {
    const doc = parse((await mesh(['profile', 'show', 'demo', '--effective'])).stdout);
    expect(doc.effective.computedFrom).toMatch(/Istio 1\.31 profile "demo" merged under the spec/);
    expect(doc.effective.workloads).toEqual([
      'Deployment/istio-system/istiod',
      'Deployment/istio-system/istio-ingressgateway',
      'Deployment/istio-system/istio-egressgateway',
    ]);
    expect(doc.effective.istioOperator.spec.components.egressGateways).toEqual([{ enabled: true, name: 'istio-egressgateway' }]);
  });

  it('diff shows what demo changes relative to default, as intent or in effect', async () => {
    const r = await mesh(['profile', 'diff', 'default', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('~ istioProfile: "default" -> "demo"');
    const effective = await mesh(['profile', 'diff', 'default', 'demo', '--effective']);
    expect(effective.stdout).toContain('+ workloads[2]: "Deployment/istio-system/istio-egressgateway"');
    expect(effective.stdout).toContain('~ istioOperator.spec.components.egressGateways[0].enabled: false -> true');
    // demo's own settings live in its chart profile (Istio 1.24+), not in its IstioOperator
    expect(effective.stdout).toContain('+ chartValues.pilot.traceSampling: 100');
    expect(effective.stdout).toMatch(/^\+ chartValues\.meshConfig: \{"accessLogFile":"\/dev\/stdout"/m);
    // the user's values go on top of the chart profile: set to demo's, that difference is gone
    const file = tempDir().write(
      'trace.yaml',
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n    pilot:\n      traceSampling: 100\n',
    );
    const same = await mesh(['profile', 'diff', 'demo', file, '--effective', '-o', 'json']);
    expect(same.code, same.stderr).toBe(0);
    const paths = (JSON.parse(same.stdout) as { changes: Array<{ path: string }> }).changes.map((c) => c.path);
    expect(paths).toContain('chartValues.meshConfig');
    expect(paths).not.toContain('chartValues.pilot.traceSampling');
    const json = JSON.parse((await mesh(['profile', 'diff', 'default', 'default', '-o', 'json'])).stdout);
    expect(json.changes).toEqual([]);
  });
});

describe('render', () => {
  it('istioctl: one IstioOperator document, byte-stable across runs', async () => {
    const a = await mesh(['render', '--profile', 'demo']);
    const b = await mesh(['render', '--profile', 'demo']);
    expect(a.stdout).toBe(b.stdout);
    const doc = parse(a.stdout);
    expect(doc).toMatchObject({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: { profile: 'demo' } });
  });

  it('helm: one values document per chart with chart, release and namespace', async () => {
    const r = await mesh(['render', '--profile', 'demo', '--backend', 'helm', '-n', 'mesh-system']);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => [d.chart, d.release, d.namespace])).toEqual([
      ['base', 'istio-base', 'mesh-system'],
      ['istiod', 'istiod', 'mesh-system'],
      ['gateway', 'istio-ingressgateway', 'mesh-system'],
      ['gateway', 'istio-egressgateway', 'mesh-system'],
    ]);
  });

  it('later -f and --set win; shell metacharacters pass through as data', async () => {
    const t = tempDir();
    const a = t.write('a.yaml', 'spec:\n  meshConfig:\n    accessLogFormat: first\n');
    const b = t.write('b.yaml', 'spec:\n  meshConfig:\n    accessLogFormat: second\n');
    const r = await mesh(['render', '-f', a, '-f', b, '--set', 'meshConfig.accessLogFormat=$(touch /tmp/pwned); `id` | cat > x']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout).spec.meshConfig.accessLogFormat).toBe('$(touch /tmp/pwned); `id` | cat > x');
  });
});

describe('bad input: one line, a hint, exit 2, nothing on stdout', () => {
  const t = tempDir();
  const cases: Array<[string, () => string[], RegExp]> = [
    ['unknown profile', () => ['render', '--profile', 'demoo'], /^Error: unknown profile "demoo"\nhint: valid profiles: ambient, default/],
    [
      'overlay not YAML',
      () => ['render', '-f', t.write('bad.yaml', 'a: [1\n')],
      /^Error: overlay .*bad\.yaml is not valid YAML at line \d+, column \d+/,
    ],
    [
      'schema violation',
      () => ['render', '-f', t.write('s.yaml', 'spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: -1\n')],
      /^Error: overlay .*s\.yaml: spec\.components\.pilot\.k8s\.replicaCount: /,
    ],
    [
      'unparseable --set',
      () => ['render', '--set', 'values.x[y]=1'],
      /^Error: --set values\.x\[y\]=1: "\[y\]" is neither an index nor a field:value selector/,
    ],
    [
      'two profiles',
      () => ['render', '--profile', 'demo', '-f', t.write('amb.yaml', 'kind: IstioOperator\nspec:\n  profile: ambient\n')],
      /^Error: --profile demo selects Istio profile demo, but overlay .*amb\.yaml sets spec\.profile: ambient\nhint: /,
    ],
    [
      'unknown Istio profile',
      () => ['render', '--set', 'profile=production'],
      /^Error: spec\.profile: Istio profile "production" not found/,
    ],
    [
      '--set unknown field',
      () => ['render', '--set', 'components.pilott.enabled=true'],
      /^Error: --set components\.pilott\.enabled=true: components\.pilott: unknown field/,
    ],
    [
      'extends cycle',
      () => {
        t.write('c1.yaml', 'extends: ./c2.yaml\n');
        return ['render', '--profile', t.write('c2.yaml', 'extends: ./c1.yaml\n')];
      },
      /extends cycle/,
    ],
    [
      'remote without address',
      () => ['render', '--profile', 'remote'],
      /needs values\.global\.remotePilotAddress.*\nhint: pass --set values\.global\.remotePilotAddress=/,
    ],
    [
      'helm cannot express',
      () => ['render', '--backend', 'helm', '--set', 'components.pilot.k8s.overlays[0].kind=Deployment'],
      /^Error: the helm backend cannot express components\.pilot\.k8s\.overlays/,
    ],
    ['bad timeout', () => ['install', '--dry-run', '--timeout', 'soon'], /^Error: --timeout soon: not a duration/],
    [
      'bad namespace',
      () => ['install', '--dry-run', '--inject-namespace', 'Not_Valid'],
      /^Error: --inject-namespace Not_Valid: not a valid namespace name/,
    ],
    [
      'charts dir wrong',
      () => ['install', '--dry-run', '--backend', 'helm', '--charts', t.dir],
      /^Error: --charts .*: not a directory holding Istio's charts/,
    ],
    ['bad -o', () => ['render', '-o', 'xml'], /^Error: -o xml: render cannot print that format/],
    [
      'bad dry-run mode',
      () => ['install', '--dry-run=all'],
      /^Error: --dry-run all: not a dry-run mode\nhint: use --dry-run \(the plan\) or --dry-run=server/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await mesh(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\nhint: .+\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('MESH_PROFILES_DIR naming no directory', async () => {
    const dir = join(t.dir, 'absent');
    const r = await mesh(['profile', 'list'], { env: { MESH_PROFILES_DIR: dir } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: MESH_PROFILES_DIR=${dir}: no such directory\n` +
        'hint: point it at a directory of mesh profiles (<name>.yaml), or unset it for the profiles mesh ships\n',
    );
  });

  it('--verbose may show a stack trace', async () => {
    const r = await mesh(['render', '--profile', 'demoo', '--verbose']);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('install --dry-run prints the plan and changes nothing', () => {
  it('text plan names every command', async () => {
    const r = await mesh([
      'install',
      '--profile',
      'demo',
      '--dry-run',
      '--inject-namespace',
      'default',
      '--context',
      'prod',
      '--kubeconfig',
      '/nonexistent',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '$ istioctl install -f <rendered:istio-operator.yaml> --readiness-timeout 300s --kubeconfig /nonexistent --context prod\n' +
        '     started at preflight, where it checks the spec; its "Proceed? (y/N)" answered yes here',
    );
    expect(r.stdout).toContain('set istio-injection=enabled');
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('JSON plan has a schema version and the exact argv', async () => {
    const r = await mesh(['install', '--profile', 'minimal', '--backend', 'helm', '--dry-run', '-o', 'json', '--timeout', '2m']);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ schemaVersion: 1, kind: 'InstallPlan', backend: 'helm', profile: 'minimal' });
    expect(plan.steps.find((s: { id: string }) => s.id === 'wait')).toMatchObject({
      for: ['Deployment/istio-system/istiod'],
      timeoutSeconds: 120,
    });
  });
});

describe('on an old Node', () => {
  // This machine image ships Node 20 as /usr/bin/node; where it does not, there is nothing to check.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    try {
      return Number(execFileSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()) < 22;
    } catch {
      return false;
    }
  });
  it.skipIf(!oldNode)('says which Node it needs, exit 3', () => {
    try {
      execFileSync(oldNode!, [meshBin, '--help'], { encoding: 'utf8', stdio: 'pipe' });
      throw new Error('expected a failure');
    } catch (error) {
      const e = error as { status: number; stderr: string };
      expect(e.status).toBe(3);
      expect(e.stderr).toMatch(/^mesh needs Node\.js 22\.12 or newer; this is Node 2\d\.\d+\.\d+\nhint: /);
    }
  });
});

describe('verify --print-role', () => {
  it('prints the ClusterRoles shipped in examples/, needing no cluster; Secrets only in the analyze one', async () => {
    const r = await mesh(['verify', '--print-role', '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(repoRoot, 'examples', 'mesh-verify-clusterrole.yaml'), 'utf8'));
    const [checks, analyze] = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(checks).toMatchObject({ kind: 'ClusterRole', metadata: { name: 'mesh-verify' } });
    expect(JSON.stringify(checks)).not.toMatch(/secrets/);
    expect(analyze).toMatchObject({ kind: 'ClusterRole', metadata: { name: 'mesh-verify-analyze' } });
  });
});

describe('examples/github-actions.yml', () => {
  it('installs the package by its registry name and gates on mesh verify with a JUnit report', () => {
    const workflow = parse(readFileSync(join(repoRoot, 'examples', 'github-actions.yml'), 'utf8'));
    const steps = workflow.jobs.verify.steps as Array<{ run?: string; uses?: string; if?: string; with?: { path?: string } }>;
    expect(steps.some((s) => s.run?.includes('npm install --global istio-mesh'))).toBe(true);
    const verify = steps.find((s) => s.run?.startsWith('mesh verify'))!;
    expect(verify.run).toMatch(/-o junit > (\S+)$/);
    const report = steps.find((s) => s.uses?.startsWith('dorny/test-reporter'))!;
    expect(report).toMatchObject({ if: 'always()', with: { path: /-o junit > (\S+)$/.exec(verify.run!)![1] } });
  });
});
