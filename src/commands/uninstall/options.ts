/** The flags of `mesh uninstall` as commander hands them to the action (see command.ts). */
export interface UninstallOptions {
  purge?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  timeout: string;
  waitForLock?: string;
  istioctl: string;
  istioVersion?: string;
  helm: string;
}
