import { availableParallelism } from 'node:os';

// No imports from the project: bench/verify.mjs loads this file as it is, to run analyze as mesh does.

/**
 * The Go runtime istioctl analyze gets beside verify's reads, each setting only where the user set
 * none of its own.
 *
 * GOMAXPROCS one core short of the machine: Go sizes its scheduler to every core. Beside verify's
 * reads, and where the API server shares the cores too (kind, k3d, a CI runner, the testbed), Go's
 * idle workers spinning for work and its parallel collector compete with the very processes
 * analyze waits on. On the 2-core testbed at 5,000 pods, analyze alone took 0.79x the wall time and
 * 0.74x the CPU with one core than with two (farm-bench, 20 pairs).
 *
 * GOGC=400 (unless GOGC or GOMEMLIMIT is set): analyze loads the cluster into its caches once and
 * exits, so most of its heap is live to the end; Go's collector, run each time the heap doubles,
 * spends CPU on a little garbage. Collecting at five times the live heap instead: at 5,000 pods
 * analyze alone 0.79x the CPU (peak 186 against 167 MiB), the default verify 0.90x the CPU and
 * 0.88x the wall time (15 pairs); at 50,000 pods analyze 0.69x the CPU, peak 798 against 733 MiB,
 * and verify 0.83x the CPU, 0.95x the wall time (4 pairs).
 *
 * Neither changes what analyze finds.
 */
export function analyzeEnv(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): Record<string, string> {
  return {
    ...(env.GOMAXPROCS ? {} : { GOMAXPROCS: String(Math.max(1, cores - 1)) }),
    ...renderGcEnv(env),
  };
}

/**
 * GOGC=400 for a Go program that builds its output in memory once and exits (analyze above; the
 * `helm template` of install's values check), unless the user set GOGC or GOMEMLIMIT. The base
 * chart's render with it: 0.83x the CPU, 0.92x the wall time, peak 100 against 67 MiB (farm-bench,
 * 20 pairs); install's preflight 0.93x wall and CPU. The output is the same.
 */
export function renderGcEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return env.GOGC || env.GOMEMLIMIT ? {} : { GOGC: '400' };
}
