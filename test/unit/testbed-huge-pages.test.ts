import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// testbed/huge-pages.sh against a file standing in for the kernel's setting: the machine's own
// setting is changed only when asked, and is put back however the build's shell ends.
const script = join(import.meta.dirname, '..', '..', 'testbed', 'huge-pages.sh');
let dir: string;
let setting: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mesh-thp-'));
  setting = join(dir, 'enabled');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A build's shell: sources the script, asks for huge pages, prints the setting during the build, exits with `code`. */
function build(initial: string, asked: string | undefined, code = 0) {
  writeFileSync(setting, initial);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', MESH_TESTBED_THP_SETTING: setting };
  if (asked !== undefined) env.MESH_TESTBED_THP = asked;
  const result = spawnSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      `set -euo pipefail; log() { echo "$*" >&2; }; source "${script}"; huge_pages_for_build; cat "$thp_setting"; exit ${code}`,
    ],
    { env, encoding: 'utf8' },
  );
  return { status: result.status, during: result.stdout.trim(), log: result.stderr.trim(), after: readFileSync(setting, 'utf8').trim() };
}

describe('testbed huge pages', () => {
  it('leaves the setting alone when not asked, and says once what it would gain', () => {
    const run = build('always [madvise] never', undefined);
    expect(run.during).toBe('always [madvise] never');
    expect(run.after).toBe('always [madvise] never');
    expect(run.log).toBe("transparent huge pages are 'madvise' here: MESH_TESTBED_THP=always (as root) builds about a third faster");
  });

  it('turns them on for the build when asked and puts the old value back after', () => {
    const run = build('always [madvise] never', 'always');
    expect(run.status).toBe(0);
    expect(run.during).toBe('always');
    expect(run.after).toBe('madvise');
    expect(run.log).toContain("'always' for this build (was 'madvise', put back after)");
  });

  it('puts the old value back when the build fails', () => {
    const run = build('always madvise [never]', 'always', 3);
    expect(run.status).toBe(3);
    expect(run.during).toBe('always');
    expect(run.after).toBe('never');
  });

  it('does nothing, and says nothing, where they are on already', () => {
    const run = build('[always] madvise never', 'always');
    expect(run.after).toBe('[always] madvise never');
    expect(run.log).toBe('');
  });
});
