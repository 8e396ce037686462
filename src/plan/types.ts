/** Plans are data: printed by --dry-run, executed step by step, compared in tests. */
export type Backend = 'istioctl' | 'helm';
export type ToolName = 'istioctl' | 'helm' | 'kubectl';

export type PlanStep =
  | { id: 'preflight'; description: string; checks: string[] }
  | {
      id: 'apply';
      description: string;
      tool: ToolName;
      argv: string[];
      release?: string;
      chart?: string;
      /** helm: how the chart was named (a directory, or name --repo url --version v), so a later step can upgrade it. */
      chartRef?: string[];
      /**
       * Started during preflight without -y: the tool renders and checks its input against the
       * cluster, then waits at its own confirmation prompt, answered yes when this step comes.
       */
      heldAtPrompt?: boolean;
      namespace?: string;
    }
  | { id: 'wait'; description: string; for: string[]; timeoutSeconds: number }
  | { id: 'label'; description: string; namespace: string; set?: Record<string, string>; remove?: string[] }
  | { id: 'delete'; description: string; what: string[]; waitSeconds?: number }
  | { id: 'namespace'; description: string; namespace: string }
  | { id: 'record'; description: string; configMap: string; action: 'write' | 'complete' | 'delete' }
  | { id: 'lock'; description: string; lease: string }
  | { id: 'tag'; description: string; tag: string; revision: string; onlyFrom: string }
  | { id: 'default-revision'; description: string; revision: string; argv: string[] }
  | { id: 'adopt-crds'; description: string; release: string; namespace: string };

export interface Plan {
  schemaVersion: 1;
  kind: 'InstallPlan' | 'UninstallPlan';
  backend: Backend;
  profile: string;
  revision: string;
  istioNamespace: string;
  context?: string;
  steps: PlanStep[];
  /** Rendered files the argv refer to as `<rendered:NAME>`; written to a private temp dir at run time. */
  files: Record<string, string>;
}

export const placeholder = (file: string) => `<rendered:${file}>`;
