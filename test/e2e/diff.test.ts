import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { MeshResult } from '../helpers/mesh.js';
import { charts, kubectl, meshOn, recordingIstioctl, resetTestbed } from './helpers.js';

/**
 * `mesh diff` and drift in `mesh status`, both backends, against the real API server's
 * server-side dry run: all create on an empty cluster, nothing right after install, exactly the
 * changed objects after a --set change, and a hand edit of istiod listed as drift.
 */
interface DiffJson {
  schemaVersion: number;
  differences: boolean;
  comparedWithRecord: boolean;
  summary: Record<'create' | 'change' | 'delete' | 'unchanged' | 'unknown', number>;
  objects: Array<{
    action: string;
    object: { kind: string; namespace?: string; name: string };
    changes?: Array<{ op: string; path: string; from?: unknown; to?: unknown }>;
  }>;
}
const parse = (r: MeshResult) => JSON.parse(r.stdout) as DiffJson;
const names = (d: DiffJson, action: string) =>
  d.objects.filter((o) => o.action === action).map((o) => `${o.object.kind}/${o.object.namespace ?? ''}/${o.object.name}`);

const backends = [
  { name: 'istioctl', flags: [] as string[] },
  { name: 'helm', flags: ['--backend', 'helm', '--charts', charts()] },
];

describe.each(backends)('mesh diff and drift ($name backend)', ({ flags }) => {
  const base = ['--profile', 'minimal', ...flags];
  beforeAll(resetTestbed, 60_000);
  afterAll(async () => void (await meshOn(['uninstall', '--purge', '-y'])));

  it('on an empty cluster every object is a create (exit 1), and nothing is written', async () => {
    const r = await meshOn(['diff', ...base, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const d = parse(r);
    expect(d.schemaVersion).toBe(1);
    expect(d.summary.create).toBeGreaterThan(10);
    expect(d.summary.change + d.summary.delete + d.summary.unknown + d.summary.unchanged).toBe(0);
    expect(names(d, 'create')).toEqual(expect.arrayContaining(['Deployment/istio-system/istiod', 'Service/istio-system/istiod']));
    expect(d.comparedWithRecord).toBe(false);
    expect(await kubectl('get', 'deployments', '-A', '-o', 'name')).not.toContain('istiod');
  });

  it('right after install there is no difference (exit 0)', async () => {
    const install = await meshOn(['install', ...base, '-y']);
    expect(install.code, install.stderr).toBe(0);
    const r = await meshOn(['diff', ...base]);
    expect(r.stdout).toMatch(/0 to create, 0 to change, 0 to delete, \d+ unchanged\n$/);
    expect(r.code, r.stdout).toBe(0);
  });

  it('a --set change lists exactly the objects and fields it changes (exit 1)', async () => {
    const r = await meshOn(['diff', ...base, '--set', 'values.pilot.env.MESH_DIFF_TEST=on', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const d = parse(r);
    // istiod's Deployment, and the two ConfigMaps that carry the values as JSON
    expect(names(d, 'change').sort()).toEqual([
      'ConfigMap/istio-system/istio-sidecar-injector',
      'ConfigMap/istio-system/values',
      'Deployment/istio-system/istiod',
    ]);
    expect(d.summary.create + d.summary.delete + d.summary.unknown).toBe(0);
    const istiod = d.objects.find((o) => o.object.kind === 'Deployment')!;
    // one addition, however many variables the list already had before it
    expect(istiod.changes!.map((c) => `${c.op} ${c.path}`)).toEqual([
      'add spec.template.spec.containers[name=discovery].env[name=MESH_DIFF_TEST]',
    ]);
    // and the other way round: the install with the variable, then a diff without it removes it
    const withEnv = await meshOn(['install', ...base, '--set', 'values.pilot.env.MESH_DIFF_TEST=on', '-y']);
    expect(withEnv.code, withEnv.stderr).toBe(0);
    const back = parse(await meshOn(['diff', ...base, '-o', 'json']));
    expect(names(back, 'change')).toContain('Deployment/istio-system/istiod');
    expect(back.objects.find((o) => o.object.kind === 'Deployment')!.changes!.map((c) => `${c.op} ${c.path}`)).toEqual([
      'remove spec.template.spec.containers[name=discovery].env[name=MESH_DIFF_TEST]',
    ]);
    const converge = await meshOn(['install', ...base, '-y']);
    expect(converge.code, converge.stderr).toBe(0);
  });

  it('a hand edit of istiod is drift in mesh status, and is gone once mesh install converges', async () => {
    const clean = await meshOn(['status', '-o', 'json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout).drift).toMatchObject({ checked: true, objects: [] });
    await kubectl('-n', 'istio-system', 'set', 'env', 'deployment/istiod', 'EDITED_BY_HAND=yes', 'PILOT_TRACE_SAMPLING=42');
    await kubectl('-n', 'istio-system', 'delete', 'configmap', 'values');
    const r = await meshOn(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/drift: 2 of \d+ objects differ from what the install applied/);
    expect(r.stdout).toMatch(/changed {2}Deployment istio-system\/istiod/);
    expect(r.stdout).toMatch(/missing {2}ConfigMap istio-system\/values/);
    // a variable someone added is theirs: a re-install keeps it, so it is not drift
    expect(r.stdout).not.toContain('EDITED_BY_HAND');
    expect(r.stdout).toMatch(/env\[name=PILOT_TRACE_SAMPLING\]\.value: "42" -> "1"|env\[name=PILOT_TRACE_SAMPLING\]/);
    const diff = parse(await meshOn(['diff', ...base, '-o', 'json']));
    expect(names(diff, 'change')).toContain('Deployment/istio-system/istiod');
    const converge = await meshOn(['install', ...base, '-y']);
    expect(converge.code, converge.stderr).toBe(0);
    const after = JSON.parse((await meshOn(['status', '-o', 'json'])).stdout);
    expect(after.drift.objects.map((o: { object: { name: string } }) => o.object.name)).toEqual([]);
  });

  it.runIf(flags.length === 0)('status asks an istioctl binary once: a second run reads the objects the first rendered', async () => {
    // A private cache beside the recording istioctl.
    const recording = recordingIstioctl('mesh-drift-memo-');
    const istioctl = recording.path;
    try {
      await kubectl('-n', 'istio-system', 'delete', 'configmap', 'values');
      const status = async () => {
        const r = await meshOn(['status', '-o', 'json', '--istioctl', istioctl], { MESH_CACHE: join(recording.dir, 'cache') });
        expect(r.code, r.stderr).toBe(0);
        return (JSON.parse(r.stdout) as { drift: { objects: Array<{ object: { name: string } }> } }).drift;
      };
      const first = await status();
      expect(first.objects.map((o) => o.object.name)).toEqual(['values']);
      expect(await status()).toEqual(first);
      const started = recording.starts();
      expect(started.filter((line) => /^\S+ manifest generate /.test(line))).toHaveLength(1);
      expect(started.filter((line) => /^\S+ version /.test(line))).toHaveLength(1);
    } finally {
      recording.remove();
    }
  });
});

describe('mesh diff, bad input', () => {
  it('refuses an unknown profile with one line (exit 2) before reading the cluster', async () => {
    const r = await meshOn(['diff', '--profile', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: .*nope/);
  });
});
