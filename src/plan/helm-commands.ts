import { preflightError, usageError, type CliError } from '../errors.js';
import type { PlanStep } from './types.js';

/*
 * The helm commands a plan's apply step implies beside its own (`helm template` for the values
 * check and diff, the chart reference swapped for a downloaded archive), and how helm's answers
 * read: pure, shared by install's values check and diff.
 */

export type ApplyStep = Extract<PlanStep, { id: 'apply' }>;

/** The apply's own command, rendering instead of installing: the same release, chart reference, namespace and values file. */
export function templateArgv(step: ApplyStep): string[] {
  const [verb, install, ...rest] = step.argv;
  if (verb !== 'upgrade' || install !== '--install') throw new Error(`not a helm upgrade --install step: ${step.argv.join(' ')}`);
  // Flags only upgrade knows: template would refuse them.
  return ['template', ...rest.filter((arg) => arg !== '--create-namespace' && arg !== '--reset-values')];
}

/** A chart reference into a repository (`base --repo URL [--version V]`): helm downloads the chart at every use. */
export const fromRepository = (chartRef: string[]): boolean => chartRef.includes('--repo');

/** argv with the chart reference in it replaced by a chart archive's path. */
export function withChartArchive(argv: string[], chartRef: string[], archive: string): string[] {
  const at = argv.findIndex((_, i) => chartRef.every((arg, j) => argv[i + j] === arg));
  if (at < 0) throw new Error(`chart reference ${chartRef.join(' ')} not in ${argv.join(' ')}`);
  return [...argv.slice(0, at), archive, ...argv.slice(at + chartRef.length)];
}

/** helm's complaint, without its "Error: ", an apply's "INSTALLATION FAILED: " and its advice to use --debug. */
export function helmComplaint(stderr: string): string {
  return (
    stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !/^Use --debug flag/.test(line))
      // An apply's render (the held release's) fails in the words of a change that never happened.
      .map((line) => line.replace(/^Error: /, '').replace(/^(INSTALLATION|UPGRADE) FAILED: /, ''))
      .join('; ')
  );
}

/** How helm says a repository has no such chart, or no such version of it. */
const NO_SUCH_CHART = /not found in .* repository|no chart (version )?found|no chart name found/i;
/** How helm says it could not download from a repository at all. */
const UNREACHABLE_REPOSITORY = /is not a valid chart repository or cannot be reached|failed to fetch/i;

/**
 * Whether helm's complaint about a repository chart (`helm pull`, or a render that downloads) says
 * it could not download it; missing: the repository has no such chart or version.
 */
export function downloadFailure(chartRef: string[], complaint: string): { missing: boolean } | undefined {
  if (!fromRepository(chartRef)) return undefined;
  if (NO_SUCH_CHART.test(complaint)) return { missing: true };
  return UNREACHABLE_REPOSITORY.test(complaint) ? { missing: false } : undefined;
}

/** A chart helm could not download: a version the repository lacks is bad input (exit 2), else the repository is out of reach (exit 3). */
export function chartDownloadError(failure: { release: string; chartRef: string[]; complaint: string; missing: boolean }): CliError {
  const [chart, , repo, , version] = failure.chartRef;
  const named = `chart ${chart}${version ? ` version ${version}` : ''}`;
  const message = `helm cannot download ${named} from ${repo} for release ${failure.release}: ${failure.complaint}`;
  return failure.missing
    ? usageError(message, `check --chart-version and --chart-repo (helm show chart ${chart} --repo ${repo} asks the repository)`)
    : preflightError(
        message,
        'check that the chart repository is reachable (--chart-repo, proxy settings), or install from local charts (--charts <dir>)',
      );
}
