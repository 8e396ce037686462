import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdFlags, holdSocketPath, startHeldHelm } from '../../src/adapters/held-helm.js';
import { heldState, takesExecPostRenderer, writesNothingBeforeRender } from '../../src/commands/install/held-helm-release.js';
import { ToolNotFoundError } from '../../src/adapters/tool-run.js';
import { helmComplaint } from '../../src/plan/helm-commands.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-held-helm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MANIFESTS = '---\n# Source: base/templates/crds.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';

/**
 * A stand-in for helm 3 (a real process): it "renders", pipes the render through the post-renderer
 * its flags name, as helm's exec post-renderer does (postrender/exec.go), and "applies" what comes
 * back by writing it to `applied`; a failing post-renderer fails it before that, as in helm.
 */
function fakeHelm(applied: string): string {
  const path = join(dir, `helm-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    path,
    `#!${process.execPath}
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const argv = process.argv.slice(2);
const at = argv.indexOf('--post-renderer');
const args = argv.flatMap((a, i) => (argv[i - 1] === '--post-renderer-args' ? [a] : []));
const r = spawnSync(argv[at + 1], args, { input: ${JSON.stringify(MANIFESTS)}, encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write('Error: error while running post render on files: ' + r.stderr);
  process.exit(1);
}
writeFileSync(${JSON.stringify(applied)}, r.stdout);
process.stdout.write('Release "istio-base" has been upgraded.\\n');
`,
    { mode: 0o700 },
  );
  return path;
}

const socketIn = (name: string) => {
  const run = join(dir, name);
  mkdirSync(run, { mode: 0o700 });
  return holdSocketPath(run)!;
};

describe('helm held after its render (its post-renderer waiting on mesh)', () => {
  it('writes nothing until mesh proceeds, then applies exactly what helm rendered', async () => {
    const applied = join(dir, 'applied-yes');
    const socket = socketIn('yes');
    const held = startHeldHelm(fakeHelm(applied), ['upgrade', '--install', 'istio-base', ...holdFlags(socket)], socket);
    expect(await held.reached).toEqual({ rendered: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(applied)).toBe(false);
    const result = await held.proceed();
    expect(result).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('has been upgraded') });
    expect(readFileSync(applied, 'utf8')).toBe(MANIFESTS);
  });

  it('cancelled while held, helm applies nothing and is gone', async () => {
    const applied = join(dir, 'applied-cancel');
    const socket = socketIn('cancel');
    const held = startHeldHelm(fakeHelm(applied), ['upgrade', ...holdFlags(socket)], socket);
    expect(await held.reached).toEqual({ rendered: true });
    await held.cancel();
    expect(existsSync(applied)).toBe(false);
  });

  it('a helm that exits before rendering reads as its result, not as held', async () => {
    const socket = socketIn('refused');
    const refusing = join(dir, 'helm-refusing');
    writeFileSync(
      refusing,
      '#!/bin/sh\necho "Error: INSTALLATION FAILED: execution error at (base/templates/x.yaml:1:1): unknown profile nope" >&2\nexit 1\n',
      {
        mode: 0o700,
      },
    );
    const state = await startHeldHelm(refusing, ['upgrade', ...holdFlags(socket)], socket).reached;
    expect(state).toMatchObject({ rendered: false, result: { exitCode: 1 } });
    // The words of a change that never happened are dropped: it is the values that were refused.
    expect(helmComplaint('result' in state ? state.result.stderr : '')).toBe(
      'execution error at (base/templates/x.yaml:1:1): unknown profile nope',
    );
  });

  it('a post-renderer whose mesh is gone (its socket never listened on) fails helm before any change', async () => {
    const applied = join(dir, 'applied-orphan');
    const r = await new Promise<number | null>((resolve) => {
      const child = spawn(fakeHelm(applied), ['upgrade', ...holdFlags(join(dir, 'nobody.sock'))]);
      child.on('exit', resolve);
    });
    expect(r).toBe(1);
    expect(existsSync(applied)).toBe(false);
  });

  it('a socket mesh cannot listen on: helm is stopped and the hold given up (checked and applied as if never held)', async () => {
    const applied = join(dir, 'applied-unheld');
    const run = startHeldHelm(
      fakeHelm(applied),
      ['upgrade', ...holdFlags(join(dir, 'no-such-dir', 'x.sock'))],
      join(dir, 'no-such-dir', 'x.sock'),
    );
    expect(await run.reached).toEqual({ rendered: false, unheld: expect.stringMatching(/^listen E[A-Z]+: /) });
    expect(await heldState({ release: 'istio-base', run })).toEqual({ rendered: false, unsupported: true });
    expect(existsSync(applied)).toBe(false);
  });

  it('a helm that is not there is ToolNotFoundError', async () => {
    const socket = socketIn('missing');
    await expect(startHeldHelm(join(dir, 'no-helm'), ['upgrade'], socket).reached).rejects.toBeInstanceOf(ToolNotFoundError);
  });

  it('no socket path too long for a Unix socket', () => {
    expect(holdSocketPath('/tmp/mesh-run-1-abc')).toBe('/tmp/mesh-run-1-abc/helm-hold.sock');
    expect(holdSocketPath(`/tmp/${'x'.repeat(100)}`)).toBeUndefined();
  });
});

describe('which helm release may be held', () => {
  it('a local chart without CRDs of its own (helm installs crds/ before it renders), and no packed subchart', () => {
    const chart = (name: string, files: string[]) => {
      const root = join(dir, name);
      for (const f of files) {
        mkdirSync(join(root, f, '..'), { recursive: true });
        writeFileSync(join(root, f), '');
      }
      return root;
    };
    expect(writesNothingBeforeRender([chart('plain', ['Chart.yaml', 'templates/crds.yaml', 'files/crd-all.gen.yaml'])])).toBe(true);
    expect(writesNothingBeforeRender([chart('own-crds', ['Chart.yaml', 'crds/a.yaml'])])).toBe(false);
    expect(writesNothingBeforeRender([chart('sub-crds', ['Chart.yaml', 'charts/sub/Chart.yaml', 'charts/sub/crds/a.yaml'])])).toBe(false);
    expect(writesNothingBeforeRender([chart('packed', ['Chart.yaml', 'charts/sub-1.0.0.tgz'])])).toBe(false);
    expect(writesNothingBeforeRender(['base', '--repo', 'https://charts.example', '--version', '1.31.0'])).toBe(false);
    expect(writesNothingBeforeRender([join(dir, 'absent')])).toBe(false);
  });

  it('Helm 3.7 and later, or a helm not asked yet; never Helm 4 (plugins only) or a Helm 3 before --post-renderer-args', () => {
    expect(takesExecPostRenderer('3.22.0')).toBe(true);
    expect(takesExecPostRenderer('3.7.0')).toBe(true);
    expect(takesExecPostRenderer(undefined)).toBe(true);
    expect(takesExecPostRenderer('3.6.3')).toBe(false);
    expect(takesExecPostRenderer('4.2.0')).toBe(false);
  });
});
