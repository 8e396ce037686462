/** `mesh sample` flags, beside the command that declares them (command.ts) and apart from the work (run.ts). */
export interface SampleOptions {
  namespace: string;
  gateway: string;
  istioDir?: string;
  istioVersion?: string;
  istioctl?: string;
  check: string;
  dryRun?: boolean;
  timeout: string;
  waitForLock?: string;
}
