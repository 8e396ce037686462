import { runChecked, type Runner } from './process.js';

/** Typed wrappers that know each tool's version flags; argv for the real work lives in the plan. */
const firstVersion = (text: string): string | undefined => /v?(\d+\.\d+\.\d+[\w.+-]*)/.exec(text)?.[1];

export async function istioctlVersion(run: Runner, path: string): Promise<string | undefined> {
  const result = await runChecked(run, path, ['version', '--remote=false', '--short']);
  return firstVersion(result.stdout);
}

export async function helmVersion(run: Runner, path: string): Promise<string | undefined> {
  const result = await runChecked(run, path, ['version', '--short']);
  return firstVersion(result.stdout);
}
