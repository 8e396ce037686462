import { runChecked, type RunResult, type Runner } from './tool-run.js';
import type { ToolMemo } from './tool-memo.js';

/** Typed wrappers that know each tool's version flags; argv for the real work lives in the plan. */
// x.y.z[-suffix], or x.y-dev: what Istio's build stamps on an untagged commit.
const firstVersion = (text: string): string | undefined => /v?(\d+\.\d+(?:\.\d+[\w.+-]*|-[\w.+-]+))/.exec(text)?.[1];

/** istioctl's own version; with a memo, each binary is asked only once (IstioctlMemo). */
export async function istioctlVersion(run: Runner, path: string, memo?: ToolMemo): Promise<string | undefined> {
  const ask = async () => firstVersion((await runChecked(run, path, ['version', '--remote=false', '--short'])).stdout);
  return memo ? memo.versionOf(path, ask) : ask();
}

/** What istioctl says went wrong: its `Error:` line (the usage text it prints after is dropped). */
export function istioctlComplaint(result: RunResult): string {
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => line && !/^\s*(Usage|Flags|Global Flags|Examples):/.test(line));
  return lines.find((line) => /^Error:/.test(line))?.replace(/^Error:\s*/, '') ?? lines[0] ?? `exit ${result.exitCode}`;
}

/**
 * `istioctl manifest generate -f -`: istioctl's own validation of an IstioOperator, offline, with
 * the spec on stdin (never a file another user could read). Returns istioctl's complaint, if any.
 */
export async function istioctlRejects(run: Runner, path: string, istioOperator: string): Promise<string | undefined> {
  const result = await run(path, ['manifest', 'generate', '-f', '-'], { input: istioOperator });
  return result.exitCode === 0 ? undefined : istioctlComplaint(result);
}

/** helm's own version; with a memo, each binary is asked only once (HelmMemo). */
export async function helmVersion(run: Runner, path: string, memo?: ToolMemo): Promise<string | undefined> {
  const ask = async () => firstVersion((await runChecked(run, path, ['version', '--short'])).stdout);
  return memo ? memo.versionOf(path, ask) : ask();
}
