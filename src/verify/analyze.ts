import { inline } from '../profiles/merge.js';
import type { Runner } from '../adapters/tool-run.js';
import { ToolNotFoundError } from '../adapters/tool-run.js';
import { kubeFlags } from '../plan/install.js';
import type { KubeTarget } from '../adapters/kube.js';
import type { AnalyzeMessage, AnalyzeOutcome } from './types.js';

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
