import { join } from 'node:path';
import { buildTestbed, type TestbedPaths } from '../../testbed/lib.mjs';

let cached: TestbedPaths | undefined;

/** The testbed's binaries and Istio charts: built once into ~/.cache/mesh, found there afterwards. */
export function testbedPaths(): TestbedPaths {
  cached ??= buildTestbed();
  return cached;
}

export const toolPath = (name: string) => join(testbedPaths().MESH_TESTBED_BIN, name);
