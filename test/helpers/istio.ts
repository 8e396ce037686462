import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { testbedPaths, toolPath } from './testbed.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a testbed tool (istioctl, helm) with an argument array; never throws on a non-zero exit. */
export function runTool(tool: 'istioctl' | 'helm', args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(toolPath(tool), args, { maxBuffer: 256 << 20, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

export type K8sObject = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; [key: string]: unknown };

/** Rendered manifests keyed `Kind/namespace/name`. */
export function objectsByKey(manifests: string): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const doc of parseAllDocuments(manifests)) {
    const obj = doc.toJS() as K8sObject | null;
    if (!obj?.kind) continue;
    out.set(`${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`, obj);
  }
  return out;
}

/**
 * `istioctl manifest generate` output as objects. istiod's `values` ConfigMap keeps a copy of the
 * input as written (`original-values`), the one place two equivalent inputs may differ.
 */
export async function generate(args: string[]): Promise<{ code: number; stderr: string; objects: Map<string, K8sObject> }> {
  const result = await runTool('istioctl', ['manifest', 'generate', ...args]);
  const objects = objectsByKey(result.stdout);
  for (const obj of objects.values()) {
    const data = (obj as { data?: Record<string, unknown> }).data;
    if (obj.kind === 'ConfigMap' && data && 'original-values' in data) delete data['original-values'];
  }
  return { code: result.code, stderr: result.stderr, objects };
}

/** The Istio release layout inside the testbed's istio module source (manifests/, samples/). */
export const istioManifestsDir = (): string => dirname(testbedPaths().MESH_ISTIO_CHARTS);

/** Deployments and DaemonSets of a rendering, as `Kind/namespace/name`, sorted. */
export const workloadKeys = (objects: Map<string, K8sObject>): string[] =>
  [...objects.keys()].filter((key) => key.startsWith('Deployment/') || key.startsWith('DaemonSet/')).sort();
