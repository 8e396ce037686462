import { stringify } from 'yaml';
import diff from 'microdiff';
import type { GlobalOptions } from '../../cli/options.js';
import { checkOutput } from '../../cli/options.js';
import type { ProfileInputOptions } from '../../cli/profile-input.js';
import { ExitCode, usageError } from '../../errors.js';
import { listBuiltinProfiles, loadBuiltin } from '../../profiles/load.js';
import { profileFromOptions } from '../../profiles/index.js';
import { sortKeys } from '../../profiles/merge.js';
import type { Profile } from '../../profiles/schema.js';

export async function listProfiles(globals: GlobalOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'profile list');
  const profiles = listBuiltinProfiles().map((name) => {
    const { data } = loadBuiltin(name);
    return { name, description: data.description ?? '', extends: data.extends ?? null };
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify({ schemaVersion: 1, profiles }, null, 2)}\n`);
  else {
    const width = Math.max(...profiles.map((p) => p.name.length));
    for (const p of profiles) process.stdout.write(`${p.name.padEnd(width)}  ${p.description}\n`);
  }
  return ExitCode.ok;
}

/** The document `profile show` prints: the resolved profile, keys sorted, provenance last. */
export function profileDocument(profile: Profile) {
  return {
    apiVersion: 'mesh.dev/v1alpha1',
    kind: 'MeshProfile',
    name: profile.name,
    description: profile.description,
    istioProfile: profile.istioProfile,
    ...(profile.requires.length ? { requires: profile.requires } : {}),
    spec: sortKeys(profile.spec),
    layeredFrom: profile.sources,
  };
}

export async function showProfile(globals: GlobalOptions, name: string | undefined, options: ProfileInputOptions): Promise<number> {
  const output = checkOutput(globals.output, ['yaml', 'json'], 'profile show');
  if (name && options.profile && name !== options.profile)
    throw usageError(`profile show ${name} --profile ${options.profile}: two profiles given`, 'name the profile once');
  const profile = profileFromOptions({ ...options, profile: name ?? options.profile ?? 'default' }, false);
  const doc = profileDocument(profile);
  process.stdout.write(output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 }));
  return ExitCode.ok;
}

const formatDiffPath = (path: Array<string | number>): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
const show = (value: unknown): string => JSON.stringify(value);

export async function diffProfiles(globals: GlobalOptions, a: string, b: string): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'profile diff');
  const left = profileDocument(profileFromOptions({ profile: a }, false));
  const right = profileDocument(profileFromOptions({ profile: b }, false));
  const strip = ({ layeredFrom: _l, name: _n, description: _d, ...rest }: ReturnType<typeof profileDocument>) => rest;
  const changes = diff(strip(left), strip(right)).map((change) => ({
    type: change.type,
    path: formatDiffPath(change.path),
    ...('oldValue' in change ? { from: change.oldValue } : {}),
    ...('value' in change ? { to: change.value } : {}),
  }));
  if (output === 'json') process.stdout.write(`${JSON.stringify({ schemaVersion: 1, from: a, to: b, changes }, null, 2)}\n`);
  else if (!changes.length) process.stdout.write(`profiles ${a} and ${b} are identical\n`);
  else {
    process.stdout.write(`--- ${a}\n+++ ${b}\n`);
    for (const c of changes) {
      if (c.type === 'CREATE') process.stdout.write(`+ ${c.path}: ${show(c.to)}\n`);
      else if (c.type === 'REMOVE') process.stdout.write(`- ${c.path}: ${show(c.from)}\n`);
      else process.stdout.write(`~ ${c.path}: ${show(c.from)} -> ${show(c.to)}\n`);
    }
  }
  return ExitCode.ok;
}
