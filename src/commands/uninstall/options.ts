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
  /** The control plane to remove when several revisions run side by side. */
  revision?: string;
  /** Remove a revision even while pods or namespaces still use it. */
  force?: boolean;
}
