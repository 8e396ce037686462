import type { InstallInputOptions } from '../install/plan-from-flags.js';

/** The flags of `mesh diff`: install's inputs, nothing that changes the cluster. */
export interface DiffOptions extends InstallInputOptions {
  helm: string;
}
