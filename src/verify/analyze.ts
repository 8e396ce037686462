import { availableParallelism } from 'node:os';
import { inline } from '../profiles/merge.js';
import type { Runner } from '../adapters/tool-run.js';
import { ToolNotFoundError } from '../adapters/tool-run.js';
import { kubeFlags } from '../plan/install.js';
import type { KubeTarget } from '../adapters/kube.js';
import type { AnalyzeMessage, AnalyzeOutcome } from './types.js';

/**
 * istioctl's Go scheduler, one core short of the machine unless the user set GOMAXPROCS: for an
 * analyze that runs beside mesh's own reads (verify).
 *
 * Why: Go sizes its scheduler to every core. Beside verify's reads, and where the API server
 * shares the cores too (kind, k3d, a CI runner, the testbed), Go's idle workers spinning for work
 * and its parallel collector compete with the very processes analyze waits on. On the 2-core
 * testbed at 5,000 pods, analyze alone took 0.79x the wall time and 0.74x the CPU with one core
 * than with two (farm-bench, 20 pairs). It changes how fast analyze runs, not what it finds.
 */
export function analyzeEnv(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): Record<string, string> {
  return env.GOMAXPROCS ? {} : { GOMAXPROCS: String(Math.max(1, cores - 1)) };
}

/**
 * Runs `istioctl analyze -o json` over one namespace, or all of them (as `istioctl analyze -A`);
 * its absence is a skip, not a failure.
 */
export async function runAnalyze(
  run: Runner,
  istioctl: string,
  target: KubeTarget,
  options: { namespace?: string; env?: Record<string, string> } = {},
): Promise<AnalyzeOutcome> {
  const namespaces = options.namespace === undefined ? ['--all-namespaces'] : ['--namespace', options.namespace];
  let result;
  try {
    result = await run(istioctl, ['analyze', ...namespaces, '-o', 'json', ...kubeFlags('istioctl', target)], {
      timeoutMs: 120_000,
      env: options.env,
    });
  } catch (error) {
    if (error instanceof ToolNotFoundError)
      return { status: 'skipped', reason: `${istioctl} not found on PATH (pass --istioctl <path> to include config analysis)` };
    return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
  // analyze exits non-zero when it finds errors; the JSON on stdout is what counts.
  const text = result.stdout.trim();
  if (!text.startsWith('['))
    return { status: 'failed', error: (result.stderr || text).trim().split('\n').slice(-1)[0] ?? `exit ${result.exitCode}` };
  try {
    const messages = (JSON.parse(text) as Array<Record<string, unknown>>).map((m) => ({
      code: m.code === undefined ? '' : inline(m.code),
      level: (m.level as AnalyzeMessage['level']) ?? 'Info',
      message: m.message === undefined ? '' : inline(m.message),
      ...(m.origin ? { origin: inline(m.origin) } : {}),
      ...(m.documentationUrl ? { documentationUrl: inline(m.documentationUrl) } : {}),
    }));
    return { status: 'ran', messages };
  } catch (error) {
    return { status: 'failed', error: `unreadable JSON from istioctl analyze: ${(error as Error).message}` };
  }
}
