import { selectedChecks, type CheckSelection } from './selection.js';
import { docs } from './checks/shared.js';
import { type CheckDefinition, type CheckResult, type CheckStatus, type Facts, type ReadError, type VerifyReport } from './types.js';

export interface Selection extends CheckSelection {
  strict: boolean;
}

/** The read errors a check stands on, if any: then it cannot say anything about the mesh. */
function missingReads(def: CheckDefinition, facts: Facts): ReadError[] {
  return def.reads.map((name) => facts[name].error).filter((e): e is ReadError => e !== undefined);
}

function judge(def: CheckDefinition, facts: Facts): CheckResult {
  const missing = missingReads(def, facts);
  const verdict = missing.length
    ? {
        status: 'unknown' as const,
        message: `could not read: ${missing.map((e) => `${e.need} (${e.kind === 'forbidden' ? 'forbidden' : e.detail})`).join(', ')}`,
        hint: missing.some((e) => e.kind === 'forbidden')
          ? `grant ${missing.map((e) => e.need).join(', ')}: \`mesh verify --print-role\` prints a ClusterRole with every read verify makes`
          : 'the API server failed the read: retry',
      }
    : def.run(facts);
  return {
    id: def.id,
    status: verdict.status,
    description: def.description,
    message: verdict.message,
    ...(verdict.hint ? { hint: `${verdict.hint}; ${docs(def.id)}` } : {}),
    ...(verdict.objects?.length ? { objects: verdict.objects } : {}),
  };
}

interface ReportMeta {
  durationMs: number;
  apiRequests: number;
  context: string;
  istioNamespace: string;
}

/**
 * Judges every selected check and decides success the same way for every output: a failed check
 * fails; warnings and unknowns fail only with --strict; a cluster that was never reached fails.
 */
function assemble(selection: Selection, resultOf: (def: CheckDefinition) => CheckResult, meta: ReportMeta, reached = true): VerifyReport {
  const categories: VerifyReport['categories'] = [];
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0, unknown: 0 };
  for (const [id, definitions] of selectedChecks(selection)) {
    const checks = definitions.map(resultOf);
    for (const c of checks) summary[c.status]++;
    categories.push({ id, checks });
  }
  const success = reached && summary.fail === 0 && (!selection.strict || (summary.warn === 0 && summary.unknown === 0));
  const { durationMs, apiRequests, context, istioNamespace } = meta;
  return { schemaVersion: 1, success, durationMs, apiRequests, context, istioNamespace, summary, categories };
}

/** Runs the selected checks over the facts (pure). */
export function buildReport(facts: Facts, selection: Selection, meta: { durationMs: number; apiRequests: number }): VerifyReport {
  return assemble(selection, (def) => judge(def, facts), { ...meta, context: facts.context, istioNamespace: facts.istioNamespace });
}

/**
 * The report of a verify whose cluster did not answer (exit 4 all the same): `kubernetes-api` fails
 * with the cause and every other selected check is unknown, nothing having been read. A pipeline
 * reading `-o json` or `-o junit` gets a document naming why instead of an empty file.
 */
export function unreachableReport(cause: { message: string; hint?: string }, selection: Selection, meta: ReportMeta): VerifyReport {
  const resultOf = (def: CheckDefinition): CheckResult => {
    const api = def.id === 'kubernetes-api';
    return {
      id: def.id,
      status: api ? 'fail' : 'unknown',
      description: def.description,
      message: api ? cause.message : 'not checked: the Kubernetes API could not be used (see kubernetes-api)',
      ...(api ? { hint: `${cause.hint ? `${cause.hint}; ` : ''}${docs(def.id)}` } : {}),
    };
  };
  return assemble(selection, resultOf, meta, false);
}
