import type { ProfileInputOptions } from '../../cli/profile-input.js';
import type { Backend } from '../../plan/types.js';

/** The flags of `mesh install` as commander hands them to the action (see command.ts). */
export interface InstallOptions extends ProfileInputOptions {
  backend: Backend;
  /** --dry-run (the plan) or --dry-run=server (the plan, after the checks against the cluster and istioctl's). */
  dryRun?: boolean | string;
  yes?: boolean;
  timeout: string;
  waitForLock?: string;
  injectNamespace: string[];
  charts?: string;
  chartVersion?: string;
  chartRepo?: string;
  istioctl: string;
  istioVersion?: string;
  helm: string;
}
