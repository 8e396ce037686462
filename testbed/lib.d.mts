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
  /** Helm 4, beside the testbed's Helm 3 (MESH_TESTBED_BIN/helm): there once built with `helm4: true`. */
  MESH_HELM4: string;
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
/** Builds (or finds) the binaries; `helm4` builds Helm 4 too (MESH_HELM4), which the testbed itself does not need. */
export function buildTestbed(options?: { quiet?: boolean; helm4?: boolean }): TestbedPaths;
export function readState(): TestbedState | undefined;
export function isAlive(pid: number): boolean;
export function spawnComponent(name: string, bin: string, args: string[]): number;
