import type { GlobalOptions } from '../../cli/options.js';
import type { ProfileInputOptions } from '../../cli/profile-input.js';
import { resolveChartsDir, resolveIstioRelease } from '../../istio/resolve.js';
import { buildInstallPlan } from '../../plan/install.js';
import type { Backend } from '../../plan/types.js';
import { resolveIntent } from '../render/intent.js';

/** The flags that choose what install applies: intent, backend and the tools and charts to use. */
export interface InstallInputOptions extends ProfileInputOptions {
  backend: Backend;
  charts?: string;
  chartVersion?: string;
  chartRepo?: string;
  istioctl?: string;
  istioVersion?: string;
}

/**
 * Flags -> the install plan, shared by install and diff so both act on exactly the same render:
 * the istioctl and charts to run (a flag's, a cached release's, or the PATH's), the intent, the plan.
 */
export function planFromFlags(
  globals: GlobalOptions,
  options: InstallInputOptions,
  extra: { injectNamespaces: string[]; timeoutSeconds: number },
) {
  const { istioctl, release } = resolveIstioRelease(options);
  const chartsDir = resolveChartsDir(options, release);
  const { profile, contents } = resolveIntent(globals, options);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const plan = buildInstallPlan({
    profile,
    contents,
    backend: options.backend,
    target,
    ...extra,
    chartsDir,
    chartVersion: options.chartVersion,
    chartRepo: options.chartRepo,
  });
  return { plan, profile, contents, target, istioctl, release, chartsDir };
}
