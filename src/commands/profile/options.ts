import type { ProfileInputOptions } from '../../cli/profile-input.js';

/** The flags of `mesh profile` as commander hands them to the action (see command.ts). */
export interface ShowOptions extends ProfileInputOptions {
  effective?: boolean;
}
