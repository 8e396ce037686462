import type { RenderOptions } from './options.js';
import { checkOutput, type GlobalOptions } from '../../cli/options.js';
import { ExitCode } from '../../errors.js';
import { toYaml } from '../../profiles/load.js';
import { renderIstioOperator } from '../../render/istioctl.js';
import { renderHelmReleases } from '../../render/helm.js';
import { LOCAL_CHART_PATHS } from '../../render/charts.js';
import { resolveIntent } from './intent.js';

/** Builds the documents first and writes nothing until all of them rendered (bad input prints nothing). */
export function renderDocuments(globals: GlobalOptions, options: RenderOptions): unknown[] {
  const { profile, contents } = resolveIntent(globals, options);
  if (options.backend === 'istioctl') return [renderIstioOperator(profile)];
  return renderHelmReleases(profile, contents).map((r) => ({
    chart: r.chart,
    chartPath: LOCAL_CHART_PATHS[r.chart],
    release: r.release,
    namespace: r.namespace,
    values: r.values,
  }));
}

export async function render(globals: GlobalOptions, options: RenderOptions): Promise<number> {
  const output = checkOutput(globals.output, ['yaml', 'json'], 'render');
  const docs = renderDocuments(globals, options);
  const text =
    output === 'json'
      ? `${JSON.stringify(options.backend === 'istioctl' ? docs[0] : { schemaVersion: 1, releases: docs }, null, 2)}\n`
      : docs.map((d) => toYaml(d)).join('---\n');
  process.stdout.write(text);
  return ExitCode.ok;
}
