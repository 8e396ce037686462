import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { builtinProfilesDir, listBuiltinProfiles, loadBuiltin, loadFile, parseYamlFile } from '../../src/profiles/load.js';
import { parseShippedProfiles } from '../../scripts/shipped-profiles.mjs';
import { resolveProfile, validateSpec } from '../../src/profiles/resolve.js';
import { profileFromOptions } from '../../src/profiles/index.js';
import { CliError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const load = (options: Parameters<typeof profileFromOptions>[0], context?: Parameters<typeof profileFromOptions>[1]) =>
  profileFromOptions(options, context);
const usage = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return error as CliError;
  }
  throw new Error('expected a usage error');
};

describe('built-in profiles are thin: Istio profile + what mesh adds', () => {
  it('ships the profiles the product promises', () => {
    expect(listBuiltinProfiles()).toEqual(['ambient', 'default', 'demo', 'empty', 'minimal', 'remote', 'sds']);
  });

  it.each(['default', 'demo', 'minimal', 'empty', 'ambient'])('%s restates nothing of Istio', (name) => {
    const p = load({ profile: name });
    expect(p.istioProfile).toBe(name);
    expect(p.spec).toEqual({ profile: name });
  });

  // Shipped profiles are not validated at run time (it cost every render and install about 7 ms):
  // this is where they are, with what a user's file of the same content would get.
  it.each(listBuiltinProfiles())('%s passes the validation a user file gets, alone and layered', (name) => {
    const path = join(builtinProfilesDir(), `${name}.yaml`);
    const asUserFile = loadFile(path, 'profile', name);
    expect(asUserFile.shipped).toBeUndefined();
    const { shipped, ...rest } = loadBuiltin(name);
    expect(shipped).toBe(true);
    expect({ ...rest, source: asUserFile.source }).toEqual(asUserFile);
    const layered = resolveProfile({ profile: name });
    expect(validateSpec(layered.spec, name)).toEqual(layered.spec);
  });

  // The build parses them ahead of time (scripts/shipped-profiles.mjs), and mesh takes that tree
  // for a file whose text is unchanged: it must be the tree mesh's own parser gives.
  const parsedByBuild = parseShippedProfiles(builtinProfilesDir());
  it.each(listBuiltinProfiles())('%s as the build parses it is what mesh parses', (name) => {
    const entry = parsedByBuild[`${name}.yaml`];
    expect(entry.text).toBe(readFileSync(join(builtinProfilesDir(), `${name}.yaml`), 'utf8'));
    expect(entry.tree).toStrictEqual(parseYamlFile(entry.text, name, 'profile'));
  });

  const iopDir = tempDir();
  const duplicateKeyDir = tempDir();
  it('the build refuses a shipped profile it cannot parse as mesh would', () => {
    iopDir.write('iop.yaml', 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n');
    expect(() => parseShippedProfiles(iopDir.dir)).toThrow(/iop.yaml: kind IstioOperator/);
    duplicateKeyDir.write('dup.yaml', 'kind: MeshProfile\nname: a\nname: b\n');
    expect(() => parseShippedProfiles(duplicateKeyDir.dir)).toThrow(/dup.yaml: not valid YAML/);
  });

  it("a shipped profile's tree from the build is used only while its text is unchanged", async () => {
    const text = 'kind: MeshProfile\nname: x\nistioProfile: default\n';
    const tree = { kind: 'MeshProfile', name: 'from the build', istioProfile: 'default' };
    vi.resetModules();
    vi.stubGlobal('MESH_SHIPPED_PROFILES', JSON.stringify({ 'x.yaml': { text, tree } }));
    try {
      const { parsedAtBuild } = await import('../../src/profiles/parsed-at-build.js');
      expect(parsedAtBuild('x.yaml', text)).toEqual(tree);
      expect(parsedAtBuild('x.yaml', text)).not.toBe(parsedAtBuild('x.yaml', text));
      expect(parsedAtBuild('x.yaml', `${text}# edited\n`)).toBeUndefined();
      expect(parsedAtBuild('y.yaml', text)).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  const profilesDir = tempDir();
  it('a file in MESH_PROFILES_DIR is not shipped: it is validated as any file is', () => {
    profilesDir.write('fine.yaml', 'name: fine\nistioProfile: default\n');
    profilesDir.write('odd.yaml', 'name: odd\nistioProfile: default\nspec:\n  unknownField: 1\n');
    process.env.MESH_PROFILES_DIR = profilesDir.dir;
    try {
      expect(loadBuiltin('fine').shipped).toBeUndefined();
      expect(usage(() => load({ profile: 'odd' })).message).toContain('spec.unknownField: unknown field');
    } finally {
      delete process.env.MESH_PROFILES_DIR;
    }
  });

  const empty = tempDir();
  it('MESH_PROFILES_DIR holding no profiles: the unknown name says so', () => {
    process.env.MESH_PROFILES_DIR = empty.dir;
    try {
      expect(usage(() => load({ profile: 'demo' })).hint).toBe(
        `${empty.dir} holds no <name>.yaml profiles; or pass a file: --profile ./my-profile.yaml`,
      );
    } finally {
      delete process.env.MESH_PROFILES_DIR;
    }
  });

  it('MESH_PROFILES_DIR naming no directory is a usage error naming it, for a name and for the list', () => {
    profilesDir.write('a-file', '');
    for (const [dir, why] of [
      [join(profilesDir.dir, 'absent'), 'no such directory'],
      [join(profilesDir.dir, 'a-file'), 'not a directory'],
    ]) {
      process.env.MESH_PROFILES_DIR = dir;
      try {
        expect(usage(() => load({ profile: 'demo' })).message).toBe(`MESH_PROFILES_DIR=${dir}: ${why}`);
        expect(usage(() => listBuiltinProfiles()).hint).toMatch(/unset it for the profiles mesh ships/);
      } finally {
        delete process.env.MESH_PROFILES_DIR;
      }
    }
  });

  it("sds is Istio's default plus explicit auto mTLS", () => {
    const sds = load({ profile: 'sds' });
    expect(sds.description).toMatch(/1\.4/);
    expect(sds.spec).toEqual({ profile: 'default', meshConfig: { enableAutoMtls: true } });
    expect(sds.sources).toEqual(['builtin:default', 'builtin:sds']);
  });

  it('remote needs the primary address and names the flag', () => {
    const error = usage(() => load({ profile: 'remote' }));
    expect(error.message).toContain('values.global.remotePilotAddress');
    expect(error.hint).toContain('--set values.global.remotePilotAddress=');
    expect(load({ profile: 'remote', set: ['values.global.remotePilotAddress=10.0.0.9'] }).spec.values).toEqual({
      global: { remotePilotAddress: '10.0.0.9' },
    });
  });
});

describe('layering, as istioctl layers', () => {
  const t = tempDir();

  it('applies overlays in order, then --set in order', () => {
    const a = t.write('a.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 5\n');
    const b = t.write('b.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 7\n      env: {A: "1"}\n');
    const p = load({ profile: 'demo', filename: [a, b], set: ['values.pilot.traceSampling=9', 'values.pilot.traceSampling=11'] });
    expect(p.spec.values).toEqual({ pilot: { traceSampling: 11, env: { A: '1' } } });
  });

  it("without --profile, an IstioOperator overlay's spec.profile chooses Istio's profile", () => {
    const iop = t.write(
      'iop.yaml',
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: empty\n  components:\n    pilot:\n      enabled: true\n',
    );
    const p = load({ filename: [iop] });
    expect(p.istioProfile).toBe('empty');
    expect(p.name).toBe('empty');
    expect(p.spec).toEqual({ profile: 'empty', components: { pilot: { enabled: true } } });
  });

  it('the last layer naming a profile wins, as in istioctl', () => {
    const demo = t.write('d.yaml', 'kind: IstioOperator\nspec:\n  profile: demo\n');
    const ambient = t.write('am.yaml', 'kind: IstioOperator\nspec:\n  profile: ambient\n');
    expect(load({ filename: [demo, ambient] }).istioProfile).toBe('ambient');
    expect(load({ filename: [demo], set: ['profile=minimal'] }).istioProfile).toBe('minimal');
  });

  it('an explicit --profile that disagrees with an overlay or --set is a usage error naming both', () => {
    const iop = t.write('iop2.yaml', 'kind: IstioOperator\nspec:\n  profile: ambient\n');
    const e = usage(() => load({ profile: 'demo', filename: [iop] }));
    expect(e.message).toBe(`--profile demo selects Istio profile demo, but overlay ${iop} sets spec.profile: ambient`);
    expect(usage(() => load({ profile: 'demo', set: ['profile=ambient'] })).message).toMatch(/--profile demo .* --set profile=ambient/);
    expect(load({ profile: 'demo', filename: [t.write('same.yaml', 'kind: IstioOperator\nspec:\n  profile: demo\n')] }).istioProfile).toBe(
      'demo',
    );
  });

  it('keeps YAML nulls, empty values and spec fields istioctl accepts', () => {
    const iop = t.write(
      'nulls.yaml',
      'kind: IstioOperator\nspec:\n  namespace: x\n  unvalidatedValues: {a: 1}\n  components:\n    pilot:\n      tag: 1.2\n  values:\n    global:\n      mountMtlsCerts:\n',
    );
    const p = load({ filename: [iop] });
    expect(p.spec).toEqual({
      namespace: 'x',
      unvalidatedValues: { a: 1 },
      components: { pilot: { tag: 1.2 } },
      values: { global: { mountMtlsCerts: null } },
    });
    expect(load({ filename: [t.write('v.yaml', 'kind: IstioOperator\nspec:\n  values:\n')] }).spec).toEqual({ values: null });
  });

  it('reads YAML 1.1 as istioctl does', () => {
    const p = load({ filename: [t.write('y11.yaml', 'kind: IstioOperator\nspec:\n  components:\n    cni:\n      enabled: yes\n')] });
    expect(p.spec.components?.cni?.enabled).toBe(true);
  });

  it('resolves extends relative to the extending file and detects cycles', () => {
    t.write('base.yaml', 'name: base\nextends: demo\nspec:\n  values:\n    pilot:\n      traceSampling: 1\n');
    const child = t.write('child.yaml', 'name: child\nextends: ./base.yaml\n');
    const p = load({ profile: child });
    expect(p.name).toBe('child');
    expect(p.istioProfile).toBe('demo');
    expect(p.sources.map((s) => s.split('/').pop())).toEqual(['builtin:demo', 'base.yaml', 'child.yaml']);
    t.write('x.yaml', 'name: x\nextends: ./y.yaml\n');
    const y = t.write('y.yaml', 'name: y\nextends: ./x.yaml\n');
    expect(usage(() => load({ profile: y })).message).toMatch(/extends cycle/);
  });

  it('-n sets values.global.istioNamespace, and conflicts with a profile that names another', () => {
    expect(load({ profile: 'minimal' }, { istioNamespace: 'mesh' }).spec.values).toEqual({ global: { istioNamespace: 'mesh' } });
    const e = usage(() => load({ profile: 'minimal', set: ['values.global.istioNamespace=a'] }, { istioNamespace: 'b' }));
    expect(e.message).toBe('-n b conflicts with values.global.istioNamespace: a in the profile');
  });
});

describe('bad input is a usage error naming the input', () => {
  const t = tempDir();

  it('unknown profile lists the valid ones', () => {
    const e = usage(() => load({ profile: 'demoo' }));
    expect(e.message).toBe('unknown profile "demoo"');
    expect(e.hint).toContain('ambient, default, demo, empty, minimal, remote, sds');
  });

  it('YAML syntax errors carry file, line and column', () => {
    const bad = t.write('bad.yaml', 'spec:\n  values:\n    pilot: [unclosed\n');
    expect(usage(() => load({ profile: 'default', filename: [bad] })).message).toMatch(
      /overlay .*bad\.yaml is not valid YAML at line \d+, column \d+/,
    );
  });

  it('schema errors carry the path of the bad key', () => {
    const bad = t.write('typo.yaml', 'spec:\n  components:\n    pilot:\n      enabeld: true\n');
    expect(usage(() => load({ profile: 'default', filename: [bad] })).message).toContain('spec.components.pilot.enabeld: unknown field');
    const wrongType = t.write('type.yaml', 'spec:\n  components:\n    pilot:\n      k8s:\n        replicaCount: two\n');
    expect(usage(() => load({ profile: 'default', filename: [wrongType] })).message).toContain('spec.components.pilot.k8s.replicaCount');
  });

  it('--set naming no known field, or a leading spec.', () => {
    expect(usage(() => load({ profile: 'default', set: ['components.pilott.enabled=true'] })).message).toContain(
      'components.pilott: unknown field',
    );
    expect(usage(() => load({ profile: 'default', set: ['spec.values.x=1'] })).hint).toBe('drop the leading "spec.": --set values.x=1');
  });

  it("values pass through to istioctl's own validation", () => {
    expect(load({ profile: 'default', set: ['values.nosuch.x=1'] }).spec.values).toEqual({ nosuch: { x: 1 } });
  });

  it('a missing overlay file, or a directory', () => {
    expect(usage(() => load({ profile: 'default', filename: ['nope.yaml'] })).message).toMatch(
      /cannot read overlay nope\.yaml: no such file/,
    );
    expect(usage(() => load({ profile: 'default', filename: [t.dir] })).message).toMatch(/it is a directory/);
  });
});
