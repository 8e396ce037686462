/** Istio version facts read from what runs: image tags, and how far apart two versions are. */

/** An image's tag (`latest` when it names none). */
export const imageTag = (image: string | undefined): string | undefined => {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest';
};

/**
 * The Istio version an image tag stands for: `1.31.0-distroless` and `1.31.0-debug` are image
 * variants of 1.31.0, not other versions (`global.variant`).
 */
export const versionOfTag = (tag: string | undefined): string | undefined => tag?.replace(/-(distroless|debug)$/, '');

/** The Istio version an image runs (`docker.io/istio/pilot:1.31.0-distroless` → 1.31.0). */
export const versionOfImage = (image: string | undefined): string | undefined => versionOfTag(imageTag(image));

const minorOf = (version: string | undefined): { major: number; minor: number } | undefined => {
  const m = /^v?(\d+)\.(\d+)(?:[.-]|$)/.exec(version ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
};

/**
 * How many minors `tool` is ahead of `controlPlane` (negative: behind); undefined when either is
 * not a release version (`latest`, a digest) or the majors differ, so nothing is claimed.
 */
export function minorsAhead(tool: string | undefined, controlPlane: string | undefined): number | undefined {
  const a = minorOf(tool);
  const b = minorOf(controlPlane);
  if (!a || !b || a.major !== b.major) return undefined;
  return a.minor - b.minor;
}

/**
 * Istio supports one minor of skew (control plane and proxies; in-place upgrades go one minor per
 * step) and publishes no wider istioctl policy: an istioctl (or charts) further than one minor from
 * the control plane it works on is outside what Istio tests. Returns the warning, or undefined
 * when within range or not known.
 */
export function skewWarning(
  what: 'istioctl' | 'charts',
  version: string | undefined,
  controlPlane: string | undefined,
): { message: string; hint: string } | undefined {
  const ahead = minorsAhead(version, controlPlane);
  if (ahead === undefined || Math.abs(ahead) <= 1) return undefined;
  const cp = minorOf(controlPlane)!;
  const minor = `${cp.major}.${cp.minor}`;
  return {
    message: `${what} ${version} and control plane ${controlPlane} are ${Math.abs(ahead)} minors apart (Istio supports one)`,
    hint: `use the ${what} of Istio ${minor}: \`mesh istio fetch <${minor}.x>\`, then --istio-version or \`mesh istio use\``,
  };
}

/**
 * Helm 4 applies server-side, and istiod owns the webhooks' failurePolicy once it runs: charts
 * before Istio 1.28 set it on every upgrade and the apply conflicts (istio/istio#59367, #60497).
 * Returns the warning for such a pair, or undefined (not known, or fine).
 */
export function helmApplyWarning(helm: string | undefined, charts: string | undefined): string | undefined {
  const chart = minorOf(charts);
  if (!/^v?4\./.test(helm ?? '') || !chart || chart.major !== 1 || chart.minor >= 28) return undefined;
  return (
    `helm ${helm} applies server-side, and the charts of Istio ${charts} set the webhooks' failurePolicy that istiod owns: ` +
    'an upgrade conflicts (istio/istio#59367); use charts of 1.28 or later, or helm 3'
  );
}
