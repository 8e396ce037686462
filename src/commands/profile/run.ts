import type { ShowOptions } from './options.js';
import diff from 'microdiff';
import type { GlobalOptions } from '../../cli/options.js';
import { checkOutput } from '../../cli/options.js';
import type { ProfileInputOptions } from '../../cli/profile-input.js';
import { ExitCode, usageError } from '../../errors.js';
import { listBuiltinProfiles, loadBuiltin, toYaml } from '../../profiles/load.js';
import { getPath, isTree, mergeFrom, sortKeys } from '../../profiles/merge.js';
import { chartProfile } from '../../render/chart-profiles.js';
import type { Profile } from '../../profiles/schema.js';
import { resolveIntent } from '../render/intent.js';
import { formatWorkload } from '../../render/workloads.js';

export async function listProfiles(globals: GlobalOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'profile list');
  const profiles = listBuiltinProfiles().map((name) => {
    const layer = loadBuiltin(name);
    return {
      name,
      istioProfile: typeof layer.spec?.profile === 'string' ? layer.spec.profile : 'default',
      description: layer.description ?? '',
      extends: layer.extends ?? null,
    };
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify({ schemaVersion: 1, profiles }, null, 2)}\n`);
  else {
    const width = Math.max(...profiles.map((p) => p.name.length));
    for (const p of profiles) process.stdout.write(`${p.name.padEnd(width)}  ${p.description}\n`);
  }
  return ExitCode.ok;
}

/** The document `profile show` prints: the user's intent as mesh hands it on, provenance last. */
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

/**
 * `--effective` adds what istioctl will make of it: Istio's own profile merged under the intent,
 * as istioctl merges it, and the workloads that follows. It is computed, not read from a cluster,
 * and says so; the image hub and tag are left to the istioctl binary that installs.
 */
function effectiveDocument(globals: GlobalOptions, options: ProfileInputOptions) {
  const { profile, contents } = resolveIntent(globals, options, false);
  const packagePath = profile.spec.installPackagePath;
  const values = getPath(contents.effective, ['spec', 'values']);
  const chart = chartProfile(
    isTree(values) ? values : {},
    typeof packagePath === 'string' && packagePath ? { manifestsDir: packagePath } : {},
  );
  return {
    ...profileDocument(profile),
    effective: {
      computedFrom:
        `Istio 1.31 profile "${profile.istioProfile}" merged under the spec, as istioctl merges it; ` +
        'image hub and tag come from the istioctl binary' +
        (chart.layers.length ? `; the charts put chartProfile's values under spec.values, as they render` : ''),
      istioNamespace: contents.istioNamespace,
      revision: contents.revision || 'default',
      workloads: contents.workloads.map(formatWorkload),
      istioOperator: sortKeys(contents.effective),
      ...(chart.layers.length ? { chartProfile: { layers: chart.layers, values: sortKeys(chart.values) } } : {}),
    },
  };
}

/**
 * One side of `profile diff --effective`: the workloads, the IstioOperator as istioctl merges it
 * (its values apart), and the values the charts render with, their defaults aside: the chart
 * profile's under the IstioOperator's. demo differs from default there (trace sampling, access
 * log, resources), not in its IstioOperator.
 */
function effectiveSide(globals: GlobalOptions, ref: string) {
  const { istioOperator, workloads, chartProfile: chart } = effectiveDocument(globals, { profile: ref }).effective;
  const { values, ...spec } = isTree(istioOperator.spec) ? istioOperator.spec : {};
  return {
    workloads,
    istioOperator: { ...istioOperator, spec },
    chartValues: mergeFrom(chart?.values ?? {}, isTree(values) ? values : {}),
  };
}

export async function showProfile(globals: GlobalOptions, name: string | undefined, options: ShowOptions): Promise<number> {
  const output = checkOutput(globals.output, ['yaml', 'json'], 'profile show');
  if (name && options.profile && name !== options.profile)
    throw usageError(`profile show ${name} --profile ${options.profile}: two profiles given`, 'name the profile once');
  const input = { ...options, profile: name ?? options.profile };
  const doc = options.effective ? effectiveDocument(globals, input) : profileDocument(resolveIntent(globals, input, false).profile);
  process.stdout.write(output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : toYaml(doc));
  return ExitCode.ok;
}

const formatDiffPath = (path: Array<string | number>): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
const show = (value: unknown): string => JSON.stringify(value);

export async function diffProfiles(globals: GlobalOptions, a: string, b: string, options: { effective?: boolean }): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'profile diff');
  const side = (ref: string) => {
    if (options.effective) return effectiveSide(globals, ref);
    const {
      layeredFrom: _l,
      name: _n,
      description: _d,
      ...rest
    } = profileDocument(resolveIntent(globals, { profile: ref }, false).profile);
    return rest;
  };
  const changes = diff(side(a), side(b)).map((change) => ({
    type: change.type,
    path: formatDiffPath(change.path),
    ...('oldValue' in change ? { from: change.oldValue as unknown } : {}),
    ...('value' in change ? { to: change.value as unknown } : {}),
  }));
  if (output === 'json')
    process.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, from: a, to: b, effective: Boolean(options.effective), changes }, null, 2)}\n`,
    );
  else if (!changes.length) process.stdout.write(`profiles ${a} and ${b} are identical${options.effective ? ' in effect' : ''}\n`);
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
