/** `mesh dashboard` flags, beside the command that declares them (command.ts) and apart from the work (run.ts). */
export interface DashboardOptions {
  address: string;
  port?: string;
  browser?: boolean;
  namespace?: string;
}
