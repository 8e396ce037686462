import type { ProfileInputOptions } from '../../cli/profile-input.js';
import type { Backend } from '../../plan/types.js';

/** The flags of `mesh render` as commander hands them to the action (see command.ts). */
export interface RenderOptions extends ProfileInputOptions {
  backend: Backend;
}
