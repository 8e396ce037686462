// Types for lib.mjs, so the TypeScript tests can share it instead of re-reading its files.
export interface TestbedPaths {
  MESH_TESTBED_BIN: string;
  MESH_ISTIO_SRC: string;
  MESH_ISTIO_CHARTS: string;
  MESH_ISTIO_ADDONS: string;
  MESH_KWOK_STAGES: string;
  MESH_ISTIO_VERSION: string;
  MESH_KUBERNETES_VERSION: string;
  /** istioctl and pilot-discovery of the older Istio (upgrades). */
  MESH_ISTIO_PREVIOUS_BIN: string;
  MESH_ISTIO_PREVIOUS_SRC: string;
  MESH_ISTIO_PREVIOUS_VERSION: string;
}
export interface TestbedState {
  pids: Record<string, number>;
  server: string;
  kubeconfig: string;
  context: string;
  startedAt: string;
}
export const testbedDir: string;
export const stateDir: string;
export const statePath: string;
export const kubeconfigPath: string;
export function adminTls(pkiDir?: string): { ca: Buffer; cert: Buffer; key: Buffer };
export function buildTestbed(options?: { quiet?: boolean }): TestbedPaths;
export function readState(): TestbedState | undefined;
export function isAlive(pid: number): boolean;
export function spawnComponent(name: string, bin: string, args: string[]): number;
