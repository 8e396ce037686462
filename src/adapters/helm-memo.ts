import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ToolMemo } from './tool-memo.js';

/**
 * The helm renders (`helm template`) a given helm binary accepted before, so that a re-run of the
 * same install (CI, converging, an upgrade replaying it) does not render its charts twice: the
 * base chart's CRDs alone cost 0.35-0.5 s. Without --validate, `helm template` reads no cluster,
 * so its verdict is a pure function of the binary, the chart's files and the question (release,
 * namespace, values). A chart is known by its files (path, size, modification time) or, from a
 * repository, by its URL and pinned version; a repository chart without a version may change
 * under the same name, so it is never remembered. Refusals are never remembered either.
 */
export class HelmMemo extends ToolMemo {
  constructor(env: NodeJS.ProcessEnv = process.env) {
    super('helm-memo', env);
  }

  /**
   * Whether helm accepted this render before, and how to remember that it did; the chart's files
   * are read once for both. An unknown chart is never remembered.
   */
  lookup(helm: string, chartRef: string[], question: string): { accepted: boolean; remember: () => void } {
    const chart = chartIdentity(chartRef);
    const key = chart === undefined ? undefined : this.key(helm, `template\0${chart}\0${question}`);
    return { accepted: this.read(key) === 'accepted', remember: () => this.write(key, 'accepted') };
  }
}

/** What names a chart's content: its files' stats for a directory, the URL and version for a pinned repository chart. */
export function chartIdentity(chartRef: string[]): string | undefined {
  if (chartRef.includes('--repo')) return chartRef.includes('--version') ? chartRef.join('\0') : undefined;
  const [dir] = chartRef;
  try {
    const hash = createHash('sha256').update(dir);
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
      const s = statSync(join(dir, entry));
      if (s.isFile()) hash.update(`\0${entry}\0${s.size}:${s.mtimeMs}`);
    }
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}
