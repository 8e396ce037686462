import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { LOCAL_CHART_PATHS, type ChartName } from '../../src/render/charts.js';
import { repoRoot } from '../helpers/mesh.js';
import { tempDir } from '../helpers/tmp.js';
import { testbedPaths, toolPath } from '../helpers/testbed.js';

/**
 * The golden renders are only worth something if Istio accepts them: istioctl validates the
 * IstioOperator against its schema (offline `manifest generate`), helm renders each chart with
 * its values (charts carry a values schema). Both are the real tools, built by the testbed.
 */
const run = promisify(execFile);
const golden = join(repoRoot, 'test', 'golden');
const files = readdirSync(golden);

describe('Istio accepts what mesh renders', () => {
  const t = tempDir();
  beforeAll(() => void testbedPaths(), 900_000);

  it.each(files.filter((f) => f.endsWith('.istioctl.yaml')))('istioctl manifest generate -f %s', async (file) => {
    const { stdout } = await run(toolPath('istioctl'), ['manifest', 'generate', '-f', join(golden, file)], { maxBuffer: 64 << 20 });
    if (!file.startsWith('empty')) expect(stdout).toMatch(/kind: (Deployment|MutatingWebhookConfiguration)/);
  });

  const releases = files
    .filter((f) => f.endsWith('.helm.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(golden, f), 'utf8')).map((d) => ({
        file: f,
        ...(d.toJS() as { chart: ChartName; release: string; namespace: string; values: object }),
      })),
    );
  it.each(releases.map((r) => [`${r.file} ${r.release}`, r] as const))('helm template %s', async (_name, r) => {
    const values = t.write(`${r.file}.${r.release}.yaml`, stringify(r.values));
    const chart = join(testbedPaths().MESH_ISTIO_CHARTS, LOCAL_CHART_PATHS[r.chart]);
    const { stdout } = await run(toolPath('helm'), ['template', r.release, chart, '--namespace', r.namespace, '-f', values], {
      maxBuffer: 64 << 20,
    });
    expect(stdout).toMatch(new RegExp(`namespace: "?${r.namespace}"?\\n`));
  });
});
