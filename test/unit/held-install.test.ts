import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHeld } from '../../src/adapters/held-process.js';
import { runProcess } from '../../src/adapters/process.js';
import { ToolNotFoundError } from '../../src/adapters/tool-run.js';
import { holdInstall } from '../../src/commands/install/held-install.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-held-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for istioctl: a shell script (real processes, real pipes). */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  return path;
}

const PROMPT = /Proceed\? \(y\/N\)\s*$/;
const PROMPT_LINE = 'This will install the Istio 1.31.0 profile "minimal" into the cluster. Proceed? (y/N) ';
// Asks as istioctl does (no newline after the prompt), then acts on the answer; `mark` shows it acted.
const asking = (mark: string) =>
  script(
    `asking-${Math.random().toString(36).slice(2)}`,
    `printf 'rendering\\n${PROMPT_LINE}'\n` +
      `read answer || { echo Cancelled.; exit 1; }\n` +
      `[ "$answer" = y ] || exit 1\n` +
      `touch ${mark}; echo installed`,
  );

describe('a program held at its prompt', () => {
  it('changes nothing until answered yes, then runs to its end', async () => {
    const mark = join(dir, 'yes');
    const held = startHeld(asking(mark), [], PROMPT);
    expect(await held.reached).toEqual({ prompted: true, prompt: PROMPT_LINE });
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(mark)).toBe(false);
    const result = await held.proceed();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('installed');
    expect(existsSync(mark)).toBe(true);
  });

  it('cancelled at its prompt, it exits and acts on nothing', async () => {
    const mark = join(dir, 'cancelled');
    const held = startHeld(asking(mark), [], PROMPT);
    expect(await held.reached).toEqual({ prompted: true, prompt: PROMPT_LINE });
    await held.cancel();
    expect(existsSync(mark)).toBe(false);
  });

  it('cancelled before its prompt (still working), it is stopped', async () => {
    const mark = join(dir, 'slow-acted');
    const slow = script('slow', `sleep 30; printf 'Proceed? (y/N) '; read a; touch ${mark}`);
    const held = startHeld(slow, [], PROMPT);
    // stopped, not waited for: a wait would run into the test's timeout long before the sleep ends
    await held.cancel();
    expect(existsSync(mark)).toBe(false);
  });

  it('exiting before its prompt gives its outcome, and a late answer does no harm', async () => {
    const held = startHeld(script('fails', 'echo "Error: no" >&2; exit 3'), [], PROMPT);
    const state = await held.reached;
    expect(state).toEqual({ prompted: false, result: { exitCode: 3, stdout: '', stderr: 'Error: no\n' } });
    expect((await held.proceed()).exitCode).toBe(3);
  });

  it('hears what it prints after its answer, on either stream, or says it ended without it', async () => {
    const waits = script(
      'waits',
      `printf '${PROMPT_LINE}'; read a\necho '- Processing resources for Istiod.' >&2\n` +
        `echo '- Processing resources for Istiod. Waiting for Deployment/istio-system/istiod' >&2\nsleep 0.3; echo done`,
    );
    const held = startHeld(waits, [], PROMPT);
    await held.reached;
    const order: string[] = [];
    const waiting = held.heard(/Waiting for /).then((heard) => order.push(`heard ${heard}`));
    const never = held.heard(/never printed/);
    await held.proceed().then(() => order.push('ended'));
    await waiting;
    expect(order).toEqual(['heard true', 'ended']);
    expect(await never).toBe(false);
  });

  it('a program that is not there is ToolNotFoundError', async () => {
    const held = startHeld(join(dir, 'istioctl-missing'), [], PROMPT);
    await expect(held.reached).rejects.toBeInstanceOf(ToolNotFoundError);
    await held.cancel();
  });
});

describe('istioctl install held at its prompt: its verdict on the spec', () => {
  const spec = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n';

  it('accepted once istioctl asks, with the Istio version its prompt names', async () => {
    const held = holdInstall(runProcess, asking(join(dir, 'accepted')), ['install'], spec);
    expect(await held.verdict()).toEqual({ kind: 'accepted', promptVersion: '1.31.0' });
    await held.cancel();
  });

  it("waiting once istioctl's progress says it waits for readiness", async () => {
    const istioctl = script(
      'istioctl-waits',
      `printf '${PROMPT_LINE}'; read a\necho '- Processing resources for Istio core.' >&2\n` +
        `echo '- Processing resources for Istiod. Waiting for Deployment/istio-system/istiod' >&2\nsleep 0.3`,
    );
    const held = holdInstall(runProcess, istioctl, ['install'], spec);
    await held.verdict();
    const applied = held.proceed();
    const waited = await Promise.race([held.waiting(), applied.then(() => 'ended first')]);
    expect(waited).toBe(true);
    await applied;
  });

  it('accepted without a version where the prompt names none', async () => {
    const istioctl = script('terse', `printf 'Proceed? (y/N) '; read a`);
    const held = holdInstall(runProcess, istioctl, ['install'], spec);
    expect(await held.verdict()).toEqual({ kind: 'accepted' });
    await held.cancel();
  });

  it("rejected with istioctl's own words when its render fails", async () => {
    const istioctl = script('rejects', `echo 'Error: generate config: could not unmarshal: bad bool' >&2; exit 1`);
    const held = holdInstall(runProcess, istioctl, ['install'], spec);
    expect(await held.verdict()).toEqual({ kind: 'rejected', complaint: 'could not unmarshal: bad bool' });
  });

  it('istioctl failing before its render: the spec is checked offline, then its failure stands', async () => {
    const asked = join(dir, 'asked-offline');
    // install fails at the cluster; `manifest generate` reads the spec from stdin and accepts it
    const istioctl = script(
      'unreachable',
      `case "$1" in manifest) cat > ${asked}; exit 0;; esac\necho 'Error: check minimum supported Kubernetes version: refused' >&2; exit 1`,
    );
    const held = holdInstall(runProcess, istioctl, ['install', '-f', 'x'], spec);
    const verdict = await held.verdict();
    expect(verdict.kind).toBe('failed');
    expect(verdict.kind === 'failed' && verdict.error.message).toMatch(/^istioctl install -f x failed \(exit 1\): Error: check minimum/);
    expect(readFileSync(asked, 'utf8')).toBe(spec);
  });

  it('the same, when the offline check rejects the spec: bad input is named', async () => {
    const istioctl = script(
      'unreachable-bad',
      `case "$1" in manifest) echo 'Error: unknown field "foo"' >&2; exit 1;; esac\necho 'Error: check minimum supported Kubernetes version: refused' >&2; exit 1`,
    );
    expect(await holdInstall(runProcess, istioctl, ['install'], spec).verdict()).toEqual({
      kind: 'rejected',
      complaint: 'unknown field "foo"',
    });
  });

  it('verdictNow on an error path does not wait for a slow render: istioctl is stopped, the spec checked offline', async () => {
    const istioctl = script('slow-render', `case "$1" in manifest) echo 'Error: bad spec' >&2; exit 1;; esac\nsleep 30`);
    const held = holdInstall(runProcess, istioctl, ['install'], spec);
    // a wait for the render would run into the test's timeout long before the sleep ends
    expect(await held.verdictNow()).toEqual({ kind: 'rejected', complaint: 'bad spec' });
  });
});
