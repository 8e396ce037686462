import { ToolMemo } from './tool-memo.js';

/**
 * What a given istioctl binary answered before, so a re-run (CI, converging) does not ask again:
 * its version (0.15-0.2 s; asked by install, verify and status; ToolMemo.versionOf) and the objects it rendered from
 * a spec (status' drift check and diff: 0.7 s to generate a 1 MB manifest and 0.5 s to parse its
 * YAML, kept as JSON). Both are pure functions of the binary and the spec: `manifest generate`
 * reads no cluster. Keys cover the binary's path, size and modification time (known before
 * istioctl runs) and the spec; failures are never memoised. (install needs no memo of the specs
 * istioctl accepted: its own held `istioctl install` checks the spec, see held-install.ts.)
 */
export class IstioctlMemo extends ToolMemo {
  constructor(env: NodeJS.ProcessEnv = process.env) {
    super('istioctl-memo', env);
  }

  /** The JSON of the objects `manifest generate` rendered from this spec before. */
  manifest(istioctl: string, spec: string): string | undefined {
    return this.read(this.key(istioctl, `manifest\0${spec}`));
  }

  rememberManifest(istioctl: string, spec: string, json: string): void {
    this.write(this.key(istioctl, `manifest\0${spec}`), json);
  }
}
