import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GlobalOptions } from '../../src/cli/options.js';
import type { ProfileInputOptions } from '../../src/cli/profile-input.js';
import { resolveIntent } from '../../src/commands/render/intent.js';
import { toYaml } from '../../src/profiles/load.js';
import { renderHelmReleases } from '../../src/render/helm.js';
import { renderIstioOperator } from '../../src/render/istioctl.js';

/**
 * `mesh upgrade` replays an install from its record alone: the intent rendered as one IstioOperator
 * (InstallRecord.renderedSpec). Replayed as the only overlay, it must give both backends exactly
 * what the original flags gave, exposure and CNI flags included (they are not recorded apart).
 */
const dir = mkdtempSync(join(tmpdir(), 'mesh-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const globals = {} as GlobalOptions;

const cases: Array<[string, ProfileInputOptions]> = [
  ['demo, node ports and CNI', { profile: 'demo', ingressNodePort: ['http=32080'], cni: true, set: ['values.pilot.env.X=1'] }],
  ['default, ClusterIP, node selector', { profile: 'default', ingressType: 'ClusterIP', ingressNodeSelector: ['pool=edge'] }],
  ['minimal with CNI excludes and a revision', { profile: 'minimal', cni: true, cniExcludeNamespace: ['batch'], revision: 'canary' }],
  ['ambient', { profile: 'ambient' }],
  ['sds', { profile: 'sds', set: ['meshConfig.accessLogFile=/dev/stdout'] }],
];

describe('upgrade replays the recorded intent', () => {
  it.each(cases)('%s: the same helm values and IstioOperator spec as the flags', (name, options) => {
    const original = resolveIntent(globals, options);
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, toYaml(renderIstioOperator(original.profile)), { mode: 0o600 });
    const replayed = resolveIntent(globals, { filename: [file], ...(options.revision ? { revision: options.revision } : {}) });
    expect(replayed.profile.spec).toEqual(original.profile.spec);
    expect(renderHelmReleases(replayed.profile, replayed.contents)).toEqual(renderHelmReleases(original.profile, original.contents));
    // The recorded document names the IstioOperator (mesh-<profile>); the replay keeps that name.
    expect(renderIstioOperator(replayed.profile)).toEqual(renderIstioOperator(original.profile));
    expect(replayed.contents.workloads).toEqual(original.contents.workloads);
  });

  it('a flag given at upgrade time layers on top of the replay', () => {
    const original = resolveIntent(globals, { profile: 'demo', cni: true });
    const file = join(dir, 'layered.yaml');
    writeFileSync(file, toYaml(renderIstioOperator(original.profile)), { mode: 0o600 });
    const replayed = resolveIntent(globals, { filename: [file], set: ['tag=1.31.0'], ingressType: 'NodePort' });
    expect(replayed.profile.spec).toMatchObject({ tag: '1.31.0', components: { cni: { enabled: true } } });
    expect(JSON.stringify(replayed.profile.spec)).toContain('NodePort');
  });
});
