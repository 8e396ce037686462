import type { InstallOptions } from './options.js';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkNamespace, checkOutput, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { ExitCode, usageError } from '../../errors.js';
import { resolveIntent } from '../render/intent.js';
import { buildInstallPlan } from '../../plan/install.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { planToJson, planToText } from '../../plan/format.js';

export async function install(globals: GlobalOptions, options: InstallOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'install');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const lockWaitSeconds = options.waitForLock ? parseDuration(options.waitForLock, '--wait-for-lock') : 0;
  const injectNamespaces = [...new Set(options.injectNamespace.map((ns) => checkNamespace(ns, '--inject-namespace')))];
  if (options.backend === 'istioctl' && (options.charts || options.chartVersion))
    throw usageError('--charts/--chart-version apply to the helm backend only', 'add --backend helm, or drop the flag');
  // From here on options.istioctl is the binary to run: a flag's, a cached release's, or the PATH's.
  const { istioctl, release } = resolveIstioRelease(options);
  options.istioctl = istioctl;
  let chartsDir = options.backend === 'helm' && !options.chartVersion ? release?.charts : undefined;
  if (options.charts) {
    chartsDir = resolve(options.charts);
    if (!existsSync(chartsDir) || !statSync(chartsDir).isDirectory() || !existsSync(resolve(chartsDir, 'base/Chart.yaml')))
      throw usageError(
        `--charts ${options.charts}: not a directory holding Istio's charts (base/Chart.yaml missing)`,
        "point it at Istio's manifests/charts directory",
      );
  }
  const { profile, contents } = resolveIntent(globals, options);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const plan = buildInstallPlan({
    profile,
    contents,
    backend: options.backend,
    target,
    injectNamespaces,
    timeoutSeconds,
    chartsDir,
    chartVersion: options.chartVersion,
  });
  if (options.dryRun) {
    process.stdout.write(output === 'json' ? planToJson(plan) : planToText(plan));
    return ExitCode.ok;
  }
  const { executeInstall } = await import('./execute.js');
  return executeInstall({
    plan,
    profile,
    contents,
    options,
    globals,
    output,
    target,
    lockWaitSeconds,
    chartsVersion: chartsDir && chartsDir === release?.charts ? release.version : undefined,
  });
}
