import { CHECKS } from './catalog.js';
import { CATEGORIES, type CategoryId, type CheckDefinition, type ReadName } from './types.js';

/** What `--only` (categories) and `--skip` (categories and check ids) ask for. */
export interface CheckSelection {
  only: string[];
  skip: string[];
}

/** The checks `--only` and `--skip` leave, by category in report order. */
export function selectedChecks(selection: CheckSelection): Map<CategoryId, CheckDefinition[]> {
  const selected = new Map<CategoryId, CheckDefinition[]>();
  for (const id of CATEGORIES) {
    if (selection.only.length && !selection.only.includes(id)) continue;
    if (selection.skip.includes(id)) continue;
    selected.set(
      id,
      CHECKS.filter((c) => c.category === id && !selection.skip.includes(c.id)),
    );
  }
  return selected;
}

/** The reads made in the Istio namespace and in each namespace the install record puts workloads in. */
const WORKLOAD_READS: readonly ReadName[] = ['deployments', 'daemonSets', 'statefulSets', 'pods', 'services'];

/**
 * The reads the given checks declare, and the reads those are found from: the install record
 * names the namespaces workloads are read in, the namespace list which namespaces' pods are the
 * data plane.
 */
export function readsOf(checks: Iterable<CheckDefinition>): Set<ReadName> {
  const reads = new Set<ReadName>();
  for (const check of checks) for (const read of check.reads) reads.add(read);
  if (WORKLOAD_READS.some((read) => reads.has(read))) reads.add('record');
  if (reads.has('dataPlanePods')) reads.add('namespaces');
  return reads;
}

/**
 * What verify reads for a selection: what its checks stand on, so `--only control-plane` and
 * `--skip data-plane` list no data-plane pods (at 50,000 pods nearly all of verify's time). A
 * selected check that judges the reads themselves (kubernetes-permissions) has every read made
 * that `--skip` leaves: `--only kubernetes` still tells a CI user all it may not read.
 */
export function readsFor(selection: CheckSelection): Set<ReadName> {
  const checksOf = (s: CheckSelection) => [...selectedChecks(s).values()].flat();
  const selected = checksOf(selection);
  return readsOf(selected.some((check) => check.judgesEveryRead) ? checksOf({ only: [], skip: selection.skip }) : selected);
}
