import type { InstallOptions } from './options.js';
import { checkNamespace, checkOutput, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { ExitCode } from '../../errors.js';
import { resolveIntent } from '../render/intent.js';
import { buildInstallPlan } from '../../plan/install.js';
import { resolveChartsDir, resolveIstioRelease } from '../../istio/resolve.js';
import { planToJson, planToText } from '../../plan/format.js';

export async function install(globals: GlobalOptions, options: InstallOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'install');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const lockWaitSeconds = options.waitForLock ? parseDuration(options.waitForLock, '--wait-for-lock') : 0;
  const injectNamespaces = [...new Set(options.injectNamespace.map((ns) => checkNamespace(ns, '--inject-namespace')))];
  // From here on options.istioctl is the binary to run: a flag's, a cached release's, or the PATH's.
  const { istioctl, release } = resolveIstioRelease(options);
  options.istioctl = istioctl;
  const chartsDir = resolveChartsDir(options, release);
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
