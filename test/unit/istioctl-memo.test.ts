import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IstioctlMemo } from '../../src/adapters/istioctl-memo.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-memo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what an istioctl binary answered before', () => {
  it('remembers what a spec rendered to for that binary only, and forgets it when the binary changes', () => {
    const istioctl = join(dir, 'istioctl');
    writeFileSync(istioctl, '#!/bin/sh\n', { mode: 0o755 });
    const memo = new IstioctlMemo({ MESH_CACHE: join(dir, 'cache') });
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBeUndefined();
    memo.rememberManifest(istioctl, 'spec: {}\n', '[]');
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBe('[]');
    // another binary at the same path (an upgrade): rendered again
    utimesSync(istioctl, new Date(), new Date(Date.now() + 60_000));
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBeUndefined();
  });

  it('remembers the version per binary', async () => {
    const istioctl = join(dir, 'istioctl-v');
    writeFileSync(istioctl, '#!/bin/sh\n', { mode: 0o755 });
    const memo = new IstioctlMemo({ MESH_CACHE: join(dir, 'cache') });
    expect(memo.version(istioctl)).toBeUndefined();
    await memo.versionOf(istioctl, () => Promise.resolve('1.31.0'));
    expect(memo.version(istioctl)).toBe('1.31.0');
    writeFileSync(istioctl, '#!/bin/sh\necho other\n');
    expect(memo.version(istioctl)).toBeUndefined();
  });

  it('versionOf asks once per binary, and never remembers a binary that did not say', async () => {
    const istioctl = join(dir, 'istioctl-asked');
    writeFileSync(istioctl, '#!/bin/sh\n', { mode: 0o755 });
    const memo = new IstioctlMemo({ MESH_CACHE: join(dir, 'cache') });
    let asked = 0;
    const silent = () => (asked++, Promise.resolve(undefined));
    expect(await memo.versionOf(istioctl, silent)).toBeUndefined();
    const says = () => (asked++, Promise.resolve('1.31.0'));
    expect(await memo.versionOf(istioctl, says)).toBe('1.31.0');
    expect(await memo.versionOf(istioctl, says)).toBe('1.31.0');
    expect(asked).toBe(2);
  });

  it('remembers the objects a spec rendered to, per binary and spec', () => {
    const istioctl = join(dir, 'istioctl-m');
    writeFileSync(istioctl, '#!/bin/sh\n', { mode: 0o755 });
    const memo = new IstioctlMemo({ MESH_CACHE: join(dir, 'cache') });
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBeUndefined();
    memo.rememberManifest(istioctl, 'spec: {}\n', '[{"kind":"ConfigMap"}]');
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBe('[{"kind":"ConfigMap"}]');
    expect(memo.manifest(istioctl, 'spec: {profile: demo}\n')).toBeUndefined();
    // its version is another question about the same binary
    expect(memo.version(istioctl)).toBeUndefined();
    writeFileSync(istioctl, '#!/bin/sh\necho other\n');
    expect(memo.manifest(istioctl, 'spec: {}\n')).toBeUndefined();
  });

  it('a command it cannot find is never memoised', () => {
    const memo = new IstioctlMemo({ MESH_CACHE: join(dir, 'cache') });
    memo.rememberManifest('no-such-istioctl-here', 'spec: {}\n', '[]');
    expect(memo.manifest('no-such-istioctl-here', 'spec: {}\n')).toBeUndefined();
  });
});
