import { parse, parseAllDocuments } from 'yaml';
import { toYaml, YAML_OPTIONS } from '../profiles/load.js';
import { isTree, mergeFrom, type Tree } from '../profiles/merge.js';
import type { Backend, Plan } from './types.js';

/**
 * What mesh wrote about an install, kept in ConfigMap <istio-ns>/mesh-install so that
 * uninstall undoes exactly that, and status/verify can compare it with the live state.
 * Records written by mesh 0.1 have the same shape (the fields added since are optional).
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
  /** `--set` flags as given, with the values of secret-looking paths redacted. */
  sets: string[];
  specSha256: string;
  toolVersions: Record<string, string>;
  /** helm releases in install order (empty for istioctl). */
  releases: Array<{ release: string; namespace: string; chart: string; chartRef?: string[] }>;
  /** Workloads the install owns (Kind/namespace/name): what verify and status judge. */
  workloads: string[];
  /** Labels mesh added, per namespace: uninstall removes these and only these. */
  labelledNamespaces: Array<{ namespace: string; labels: Record<string, string>; previous?: Record<string, string> }>;
  /** Namespaces that did not exist before the install (so uninstall may delete them). */
  createdNamespaces: string[];
  /**
   * The whole intent (profile, overlays, --set, exposure and CNI flags) as one IstioOperator, on both
   * backends: `istioctl uninstall -f` and diff's previous render read it (istioctl), upgrade replays it
   * (both). Secret-looking values redacted. Helm records of earlier mesh builds lack it.
   */
  renderedSpec?: string;
  /** `installing` from before the first change until the install is ready and labelled; `failed` with `error`. */
  status: 'installing' | 'installed' | 'failed';
  error?: string;
  /** Addons `mesh addons install` applied, with every object, so they can be removed exactly. */
  addons?: RecordedAddon[];
  /** Samples `mesh sample` deployed (bookinfo), with their objects and the namespace labels they set. */
  samples?: RecordedSample[];
  /** Revision tags (`mesh tag set`) pointing at this control plane. */
  tags?: string[];
  /** Tags `mesh upgrade` moved here, each with the revision it pointed at before: uninstall moves them back. */
  tagsMovedFrom?: Record<string, string>;
  /** The mesh process making the change, so an install that was killed can be told from one still running. */
  runner?: { pid: number; host: string };
  installedAt: string;
}

export interface RecordedAddon {
  name: string;
  /** The release file it came from. */
  source: string;
  objects: Array<{ apiVersion: string; kind: string; namespace?: string; name: string }>;
  installedAt: string;
}

export interface RecordedSample {
  name: string;
  namespace: string;
  sources: string[];
  objects: RecordedAddon['objects'];
  /** Injection labels mesh set on the namespace, and the values they replaced. */
  labels: Record<string, string>;
  previous?: Record<string, string>;
  /** The namespace did not exist before: removing the sample deletes it. */
  createdNamespace: boolean;
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

/** Keys whose values are credentials by their name: never written to a record or printed. */
const SECRET_KEY = /password|passwd|token|secret|(^|[._-])key$|apikey|api_key|privatekey|private_key|credential/i;
export const REDACTED = '<redacted>';

/** `--set path=value` with the value hidden when the path looks like a credential. */
export function redactSet(flag: string): string {
  const eq = flag.indexOf('=');
  if (eq === -1) return flag;
  const last =
    flag
      .slice(0, eq)
      .split(/(?<!\\)\./)
      .at(-1) ?? '';
  return SECRET_KEY.test(last.replace(/\[.*$/, '')) ? `${flag.slice(0, eq)}=${REDACTED}` : flag;
}

function redactTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactTree);
  if (!isTree(value)) return value;
  const out: Tree = {};
  for (const [key, item] of Object.entries(value))
    out[key] = SECRET_KEY.test(key) && !isTree(item) && !Array.isArray(item) ? REDACTED : redactTree(item);
  return out;
}

/** A YAML document with the values under secret-looking keys redacted (uninstall needs its shape, not its secrets). */
export function redactYaml(text: string): string {
  return parseAllDocuments(text, YAML_OPTIONS)
    .map((doc) => toYaml(redactTree(doc.toJS())))
    .join('---\n');
}

type RecordedRelease = InstallRecord['releases'][number];

function mergeReleases(previous: RecordedRelease[], applied: RecordedRelease[]): RecordedRelease[] {
  const key = (r: RecordedRelease) => `${r.namespace}/${r.release}`;
  const now = new Map(applied.map((r) => [key(r), r]));
  const kept = previous.map((r) => now.get(key(r)) ?? r);
  const known = new Set(kept.map(key));
  return [...kept, ...applied.filter((r) => !known.has(key(r)))];
}

export interface RecordFacts {
  toolVersions: Record<string, string>;
  kubernetesVersion: string;
  existing?: InstallRecord;
  missingNamespaces: string[];
}

/** The record an install writes before its first change: pure, from the plan and what preflight found. */
export function newRecord(
  plan: Plan,
  input: {
    profile: string;
    istioProfile: string;
    overlays: string[];
    sets: string[];
    workloads: string[];
    specSha256: string;
    meshVersion: string;
    runner: { pid: number; host: string };
    /** The intent rendered as an IstioOperator (what `istioctl install -f` takes). */
    intentSpec: string;
  },
  facts: RecordFacts,
  now = new Date(),
): InstallRecord {
  const previous = facts.existing;
  return {
    schemaVersion: 1,
    meshVersion: input.meshVersion,
    backend: plan.backend,
    profile: input.profile,
    istioProfile: input.istioProfile,
    revision: plan.revision,
    istioNamespace: plan.istioNamespace,
    overlays: input.overlays,
    sets: input.sets.map(redactSet),
    specSha256: input.specSha256,
    toolVersions: { ...facts.toolVersions, kubernetes: facts.kubernetesVersion },
    // Releases of an earlier install stay listed, so a converge to a smaller profile can still undo them;
    // one this install applies again keeps its place and takes this install's chart.
    releases: mergeReleases(
      previous?.releases ?? [],
      plan.steps.flatMap((s) =>
        s.id === 'apply' && s.tool === 'helm' && s.release && s.namespace
          ? [{ release: s.release, namespace: s.namespace, chart: s.chart ?? '', ...(s.chartRef ? { chartRef: s.chartRef } : {}) }]
          : [],
      ),
    ),
    workloads: input.workloads,
    labelledNamespaces: [...(previous?.labelledNamespaces ?? [])],
    createdNamespaces: [...new Set([...(previous?.createdNamespaces ?? []), ...facts.missingNamespaces])],
    renderedSpec: redactYaml(input.intentSpec),
    // Addons outlive a converge of the control plane: uninstall still has to remove them.
    ...(previous?.addons?.length ? { addons: previous.addons } : {}),
    ...(previous?.samples?.length ? { samples: previous.samples } : {}),
    ...(previous?.tags?.length ? { tags: previous.tags } : {}),
    status: 'installing',
    runner: input.runner,
    installedAt: now.toISOString(),
  };
}

/**
 * The record's intent with `values.defaultRevision` set, for a revision that became the base
 * chart's default when the one before it was removed: a replay (upgrade) then keeps it.
 */
export function withDefaultRevision(record: InstallRecord, revision: string): Partial<InstallRecord> {
  const set = `values.defaultRevision=${revision}`;
  const sets = [...record.sets.filter((s) => !s.startsWith('values.defaultRevision=')), set];
  if (!record.renderedSpec) return { sets };
  const spec = parse(record.renderedSpec, YAML_OPTIONS) as Tree;
  return { sets, renderedSpec: toYaml(mergeFrom(spec, { spec: { values: { defaultRevision: revision } } })) };
}
