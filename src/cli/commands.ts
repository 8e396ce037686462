import type { Register } from './listed-commands.js';
import { registerProfile } from '../commands/profile/command.js';
import { registerRender } from '../commands/render/command.js';
import { registerInstall } from '../commands/install/command.js';
import { registerUninstall } from '../commands/uninstall/command.js';
import { registerVerify } from '../commands/verify/command.js';
import { registerStatus } from '../commands/status/command.js';
import { registerCompletion } from '../commands/completion/command.js';
import { registerIstio } from '../commands/istio/command.js';
import { registerAddons } from '../commands/addons/command.js';
import { registerSample } from '../commands/sample/command.js';
import { registerDashboard } from '../commands/dashboard/command.js';
import { registerDiff } from '../commands/diff/command.js';
import { registerTag } from '../commands/tag/command.js';
import { registerUpgrade } from '../commands/upgrade/command.js';

/** mesh's top-level commands, in the order its help lists them. */
export const COMMANDS: Register[] = [
  registerProfile,
  registerRender,
  registerInstall,
  registerDiff,
  registerUpgrade,
  registerUninstall,
  registerVerify,
  registerStatus,
  registerTag,
  registerIstio,
  registerAddons,
  registerSample,
  registerDashboard,
  registerCompletion,
];
