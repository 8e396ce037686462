/** The flags of `mesh tag` as commander hands them to the actions. */
export interface TagOptions {
  revision?: string;
  overwrite?: boolean;
  force?: boolean;
  dryRun?: boolean;
  waitForLock?: string;
  istioctl?: string;
  istioVersion?: string;
}
