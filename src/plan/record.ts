import type { Backend } from './types.js';

/**
 * What mesh wrote about an install, kept in ConfigMap <istio-ns>/mesh-install so that
 * uninstall undoes exactly that, and status/verify can compare it with the live state.
 */
export interface InstallRecord {
  schemaVersion: 1;
  meshVersion: string;
  backend: Backend;
  profile: string;
  istioProfile: string;
  revision: string;
  istioNamespace: string;
  overlays: string[];
  sets: string[];
  specSha256: string;
  toolVersions: Record<string, string>;
  /** helm releases in install order (empty for istioctl). */
  releases: Array<{ release: string; namespace: string; chart: string }>;
  /** Workloads the install owns (Kind/namespace/name): what verify and status judge. */
  workloads: string[];
  /** Labels mesh added, per namespace: uninstall removes these and only these. */
  labelledNamespaces: Array<{ namespace: string; labels: Record<string, string>; previous?: Record<string, string> }>;
  /** Namespaces that did not exist before the install (so uninstall may delete them). */
  createdNamespaces: string[];
  /** The rendered IstioOperator (istioctl backend), for `istioctl uninstall -f` without --purge. */
  renderedSpec?: string;
  /** `installing` from before the first change until the install is ready and labelled. */
  status: 'installing' | 'installed';
  installedAt: string;
}

export const RECORD_DATA_KEY = 'record.json';

export function parseRecord(json: string | undefined): InstallRecord | undefined {
  if (!json) return undefined;
  try {
    const value = JSON.parse(json) as InstallRecord;
    return value && value.schemaVersion === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}
