import type { InstallOptions } from './options.js';
import { checkNamespace, checkOutput, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { ExitCode, usageError } from '../../errors.js';
import { planToJson, planToText } from '../../plan/format.js';
import { planFromFlags } from './plan-from-flags.js';

export async function install(globals: GlobalOptions, options: InstallOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'install');
  const timeoutSeconds = parseDuration(options.timeout, '--timeout');
  const lockWaitSeconds = options.waitForLock ? parseDuration(options.waitForLock, '--wait-for-lock') : 0;
  const injectNamespaces = [...new Set(options.injectNamespace.map((ns) => checkNamespace(ns, '--inject-namespace')))];
  const { plan, profile, contents, target, istioctl, release, chartsDir } = planFromFlags(globals, options, {
    injectNamespaces,
    timeoutSeconds,
  });
  // From here on options.istioctl is the binary to run: a flag's, a cached release's, or the PATH's.
  options.istioctl = istioctl;
  const dryRun = dryRunMode(options.dryRun);
  if (dryRun === 'client') {
    process.stdout.write(output === 'json' ? planToJson(plan) : planToText(plan));
    return ExitCode.ok;
  }
  const [{ withRenderedFiles }, { holdApply }, { checkHelmValues }, { holdFirstRelease }, { HelmMemo }, { runLazily }] = await Promise.all([
    import('../../adapters/tempfiles.js'),
    import('./held-install.js'),
    import('./helm-values-check.js'),
    import('./held-helm-release.js'),
    import('../../adapters/helm-memo.js'),
    import('../../adapters/run-lazily.js'),
  ]);
  return withRenderedFiles(plan.files, async (resolveArgv, privateDir) => {
    // istioctl starts before the change's own modules load (the Kubernetes client's among them), so
    // its start-up and render of the spec run meanwhile; it changes nothing until answered.
    const held = holdApply(plan, istioctl, resolveArgv, runLazily);
    // The same for helm's first release, held after its render (held-helm-release.ts); the others'
    // renders for the same reason (helm-values-check.ts); a repository's charts are downloaded
    // once, into the run's private directory, for the render and the apply.
    const helmMemo = new HelmMemo();
    // Not for --dry-run=server: without an apply to share it with, helm's render costs less offline.
    const heldRelease = dryRun !== 'server' ? holdFirstRelease(plan, options.helm, resolveArgv, privateDir, helmMemo) : undefined;
    const valuesChecked = checkHelmValues(plan, options.helm, resolveArgv, runLazily, helmMemo, privateDir, heldRelease);
    try {
      const { executeInstall, checkInstall } = await import('./execute.js');
      return await (dryRun === 'server' ? checkInstall : executeInstall)({
        plan,
        profile,
        contents,
        options,
        globals,
        output,
        target,
        lockWaitSeconds,
        chartsVersion: chartsDir && chartsDir === release?.charts ? release.version : undefined,
        resolveArgv,
        held,
        heldRelease,
        helmMemo,
        valuesChecked,
      });
    } finally {
      // Unanswered, istioctl and helm have changed nothing: they are stopped before their files are removed.
      await Promise.all([held?.cancel(), heldRelease?.run.cancel()]);
    }
  });
}

/** --dry-run alone is kubectl's `client`: the plan, nothing asked of the cluster; `server` runs the checks too. */
function dryRunMode(flag: boolean | string | undefined): 'client' | 'server' | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true || flag === 'client') return 'client';
  if (flag === 'server') return 'server';
  throw usageError(`--dry-run ${flag}: not a dry-run mode`, 'use --dry-run (the plan) or --dry-run=server (the plan after the checks)');
}
