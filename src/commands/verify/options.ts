/** The flags of `mesh verify` as commander hands them to the action (see command.ts). */
export interface VerifyOptions {
  wait?: string;
  only: string[];
  skip: string[];
  strict?: boolean;
  skipAnalyze?: boolean;
  istioctl: string;
  istioVersion?: string;
  printRole?: boolean;
  /** The control plane to verify when several revisions run side by side. */
  revision?: string;
}
