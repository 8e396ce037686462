import type { ProfileInputOptions } from '../../cli/profile-input.js';

/** The flags of `mesh upgrade` as commander hands them to the action (see command.ts). */
export interface UpgradeOptions extends ProfileInputOptions {
  to: string;
  inPlace?: boolean;
  /** The control plane to upgrade from (default: the default revision's, else the only one). */
  from?: string;
  restart?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  timeout: string;
  charts?: string;
  chartVersion?: string;
  chartRepo?: string;
  istioctl?: string;
  istioVersion?: string;
  helm: string;
}
