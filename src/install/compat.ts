/**
 * Kubernetes versions each Istio minor supports (istio.io "Supported Releases" matrix). Only
 * minors listed here are checked; for others preflight says it has no data instead of guessing.
 */
export const SUPPORTED_KUBERNETES: Record<string, { min: number; max: number }> = {
  '1.31': { min: 32, max: 36 },
};

export type CompatVerdict = { ok: true; note?: string } | { ok: false; message: string; hint: string };

export function checkKubernetesVersion(istioVersion: string | undefined, k8sMinor: number): CompatVerdict {
  const istioMinor = /^(\d+\.\d+)/.exec(istioVersion ?? '')?.[1];
  const range = istioMinor ? SUPPORTED_KUBERNETES[istioMinor] : undefined;
  if (!range) return { ok: true, note: `no compatibility data for Istio ${istioVersion ?? 'unknown'}; not checked` };
  if (k8sMinor < range.min || k8sMinor > range.max)
    return {
      ok: false,
      message: `Kubernetes 1.${k8sMinor} is not supported by Istio ${istioMinor} (supports 1.${range.min}-1.${range.max})`,
      hint: `use an istioctl/chart version that supports Kubernetes 1.${k8sMinor}, or upgrade the cluster`,
    };
  return { ok: true };
}

/** mesh renders `profile` values, which the charts and istioctl understand from Istio 1.24 on. */
export function checkIstioVersion(version: string | undefined): CompatVerdict {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return { ok: true, note: `istioctl version ${version ?? 'unknown'} not recognised; not checked` };
  if (Number(m[1]) === 1 && Number(m[2]) < 24)
    return {
      ok: false,
      message: `istioctl ${version} is too old (mesh needs Istio 1.24 or newer)`,
      hint: 'install a current istioctl or pass --istioctl <path>',
    };
  return { ok: true };
}
