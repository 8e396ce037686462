import type { ProfileInputOptions } from '../../cli/profile-input.js';
import type { Backend } from '../../plan/types.js';

/** The flags of `mesh diff`: install's inputs, nothing that changes the cluster. */
export interface DiffOptions extends ProfileInputOptions {
  backend: Backend;
  charts?: string;
  chartVersion?: string;
  istioctl?: string;
  istioVersion?: string;
  helm: string;
}
