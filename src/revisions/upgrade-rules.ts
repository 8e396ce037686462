import { preflightError } from '../errors.js';

/**
 * Istio's upgrade rules over version strings (pure): a canary may jump two minors, an in-place
 * upgrade one (istio.io docs: setup/upgrade/canary, in-place); never backwards, never across
 * majors, and nothing is claimed about a version that is not one (`latest`, a digest).
 */
export type UpgradeMode = 'canary' | 'in-place';

export interface IstioVersion {
  major: number;
  minor: number;
  /** Undefined for an untagged build (`1.30-dev`). */
  patch?: number;
}

export function parseIstioVersion(text: string | undefined): IstioVersion | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(text ?? '');
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), ...(m[3] === undefined ? {} : { patch: Number(m[3]) }) };
}

export const MAX_MINORS: Record<UpgradeMode, number> = { canary: 2, 'in-place': 1 };

/** The revision name Istio's docs use for a version: dots are not allowed, so 1.31.0 -> 1-31-0. */
export const revisionForVersion = (version: string): string =>
  version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Throws (exit 3) with the path to take when Istio does not support going from `from` to `to` this way. */
export function judgeUpgrade(from: string | undefined, to: string, mode: UpgradeMode): { minors: number } {
  const a = parseIstioVersion(from);
  const b = parseIstioVersion(to);
  if (!a || !b)
    throw preflightError(
      `cannot judge an upgrade from ${from ?? 'an unknown version'} to ${to}: not both Istio versions`,
      'the control plane must run a tagged image (x.y.z) and --to must name a version',
    );
  if (a.major !== b.major) throw preflightError(`${from} -> ${to} crosses a major version`, 'Istio publishes no such upgrade path');
  const minors = b.minor - a.minor;
  const backwards = minors < 0 || (minors === 0 && a.patch !== undefined && b.patch !== undefined && b.patch < a.patch);
  if (backwards)
    throw preflightError(
      `${to} is older than the control plane's ${from}: upgrade goes forward`,
      'to roll back a canary, move the namespaces (or the tag) back to the old revision and remove the new one',
    );
  if (minors > MAX_MINORS[mode]) {
    const step = `${a.major}.${a.minor + MAX_MINORS[mode]}`;
    throw preflightError(
      `${from} -> ${to} is ${minors} minors; Istio supports at most ${MAX_MINORS[mode]} per ${mode} upgrade`,
      `upgrade to ${step}.x first${mode === 'in-place' ? ', or use a canary upgrade (two minors)' : ''}`,
    );
  }
  return { minors };
}
