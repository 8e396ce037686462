/** `mesh addons` flags, beside the command that declares them (command.ts) and apart from the work (run.ts). */
export interface AddonsOptions {
  istioDir?: string;
  istioVersion?: string;
  dryRun?: boolean;
  timeout: string;
  waitForLock?: string;
  forceConflicts?: boolean;
}
