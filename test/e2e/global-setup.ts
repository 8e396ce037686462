import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../helpers/mesh.js';
import { testbedPaths } from '../helpers/testbed.js';
import { isAlive, readState } from '../../testbed/lib.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

/**
 * Builds the testbed (into ~/.cache/mesh on first use), brings it up and hands its kubeconfig to
 * the tests; each test file then starts from a fresh cluster (resetTestbed). A testbed that was
 * running before is left running afterwards, one started here is stopped.
 */
export default function setup(project: TestProject) {
  testbedPaths();
  const before = readState();
  const wasRunning = before !== undefined && Object.values(before.pids).every(isAlive);
  const kubeconfig = execFileSync(process.execPath, [join(repoRoot, 'testbed', 'up.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  project.provide('kubeconfig', kubeconfig);
  return () => {
    if (!wasRunning) execFileSync(process.execPath, [join(repoRoot, 'testbed', 'down.mjs')], { stdio: 'inherit' });
  };
}
