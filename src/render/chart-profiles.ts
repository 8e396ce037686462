import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { usageError } from '../errors.js';
import { isTree, mergeFrom, type Tree } from '../profiles/merge.js';
import { YAML_OPTIONS } from '../profiles/load.js';
import { ISTIO_1_31_CHART_PROFILES } from './chart-profiles-1.31.js';
import type { ProfileSource } from './istio-profiles.js';

/** What the charts' profile files set under the user's values, and which files those are. */
export interface ChartProfile {
  /** The files, in the charts' order (later wins): profile, compatibility version, platform. */
  layers: string[];
  values: Tree;
}

const named = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/**
 * The chart profile the values select, merged as the charts' zzz_profile.yaml merges it: the
 * profile (`profile`, else `global.profile`), then `compatibilityVersion`'s file, then the
 * platform's (`platform`, else `global.platform`); the user's own values go on top of all three.
 */
export function chartProfile(values: Tree, source: ProfileSource = {}): ChartProfile {
  const global = isTree(values.global) ? values.global : {};
  const selected: Array<[key: string, prefix: string, name: string | undefined]> = [
    [values.profile === undefined ? 'values.global.profile' : 'values.profile', '', named(values.profile) ?? named(global.profile)],
    ['values.compatibilityVersion', 'compatibility-version-', named(values.compatibilityVersion)],
    [
      values.platform === undefined ? 'values.global.platform' : 'values.platform',
      'platform-',
      named(values.platform) ?? named(global.platform),
    ],
  ];
  const layers: string[] = [];
  let merged: Tree = {};
  for (const [key, prefix, name] of selected) {
    if (name === undefined) continue;
    layers.push(`${prefix}${name}`);
    merged = mergeFrom(merged, readChartProfile(key, prefix, name, source));
  }
  return { layers, values: merged };
}

function readChartProfile(key: string, prefix: string, name: string, source: ProfileSource): Tree {
  if (!source.manifestsDir) {
    const known = ISTIO_1_31_CHART_PROFILES[`${prefix}${name}`];
    if (!known) {
      // A profile's name has no prefix: the other files are not profiles.
      const others = Object.keys(ISTIO_1_31_CHART_PROFILES).filter((n) =>
        prefix ? n.startsWith(prefix) : !/^(compatibility-version|platform)-/.test(n),
      );
      throw usageError(
        `${key}: "${name}" is not one of Istio 1.31's chart profiles (its charts would fail to render)`,
        `valid: ${others
          .map((n) => n.slice(prefix.length))
          .sort()
          .join(', ')}`,
      );
    }
    return known;
  }
  // manifests/helm-profiles, else the istiod chart's own copy (every chart carries one).
  const file = `${prefix}${name}.yaml`;
  const paths = [
    join(source.manifestsDir, 'helm-profiles', file),
    join(source.manifestsDir, 'charts', 'istio-control', 'istio-discovery', 'files', `profile-${file}`),
  ];
  let text: string | undefined;
  for (const path of paths) {
    try {
      text = readFileSync(path, 'utf8');
      break;
    } catch {
      // try the next copy
    }
  }
  if (text === undefined)
    throw usageError(
      `${key}: "${name}" is not a chart profile of ${source.manifestsDir}: no ${paths.join(', no ')}`,
      `check ${key} and spec.installPackagePath`,
    );
  const doc: unknown = parse(text, YAML_OPTIONS);
  return isTree(doc) ? doc : {};
}
