import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './mesh.js';

export interface TestbedPaths {
  MESH_TESTBED_BIN: string;
  MESH_ISTIO_CHARTS: string;
  MESH_ISTIO_SRC: string;
  MESH_ISTIO_VERSION: string;
  MESH_KUBERNETES_VERSION: string;
}

let cached: TestbedPaths | undefined;

/** The testbed's binaries and Istio charts: built once into ~/.cache/mesh, found there afterwards. */
export function testbedPaths(): TestbedPaths {
  if (cached) return cached;
  const root = execFileSync('bash', [join(repoRoot, 'testbed', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(root, 'paths.env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  cached = env as unknown as TestbedPaths;
  return cached;
}

export const toolPath = (name: string) => join(testbedPaths().MESH_TESTBED_BIN, name);
