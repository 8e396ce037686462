import { istioNamespaceOf, checkOutput, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway } from '../../adapters/kube.js';
import { ExitCode } from '../../errors.js';
import { gatherFacts } from '../../verify/facts.js';
import { controlPlaneWorkloads, controlPlaneVersion, ref } from '../../verify/checks/shared.js';
import { daemonSetStatus, deploymentStatus } from '../../verify/workload-status.js';

/** The install record beside the live state of what it installed. */
export async function status(globals: GlobalOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'status');
  const ns = istioNamespaceOf(globals);
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const facts = await gatherFacts(kube, ns);
  const { present, missing } = controlPlaneWorkloads(facts);
  const workloads = [
    ...present.map((w) => {
      const s = w.kind === 'Deployment' ? deploymentStatus(w.obj) : daemonSetStatus(w.obj);
      return { workload: ref(w), ready: s.ready, status: s.summary };
    }),
    ...missing.map((m) => ({ workload: m, ready: false, status: 'not found' })),
  ];
  const live = {
    controlPlaneVersion: controlPlaneVersion(facts) ?? null,
    kubernetes: facts.serverVersion?.gitVersion ?? null,
    workloads,
    injectedNamespaces: [...facts.dataPlanePods.keys()],
  };
  if (output === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          schemaVersion: 1,
          context: kube.context,
          istioNamespace: ns,
          installed: Boolean(facts.record),
          record: facts.record ?? null,
          live,
        },
        null,
        2,
      )}\n`,
    );
    return ExitCode.ok;
  }
  const lines: string[] = [`context ${kube.context}, namespace ${ns}, Kubernetes ${live.kubernetes}`];
  const r = facts.record;
  if (!r) lines.push(`no mesh install record in ${ns}${present.length ? ' (Istio runs here, installed by something else)' : ''}`);
  else {
    lines.push(
      `installed by mesh ${r.meshVersion} at ${r.installedAt}`,
      `  profile ${r.profile} (Istio profile ${r.istioProfile}), backend ${r.backend}${r.revision ? `, revision ${r.revision}` : ''}`,
      `  overlays: ${r.overlays.join(', ') || 'none'}; --set: ${r.sets.join(' ') || 'none'}`,
      `  tools: ${Object.entries(r.toolVersions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; spec sha256 ${r.specSha256.slice(0, 12)}`,
      `  labelled namespaces: ${
        r.labelledNamespaces
          .map(
            (l) =>
              `${l.namespace} (${Object.entries(l.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')})`,
          )
          .join(', ') || 'none'
      }`,
    );
  }
  lines.push(`live: control plane ${live.controlPlaneVersion ?? 'not found'}`);
  for (const w of workloads) lines.push(`  ${w.ready ? 'ready    ' : 'NOT READY'} ${w.workload}: ${w.status}`);
  lines.push(`  injected namespaces: ${live.injectedNamespaces.join(', ') || 'none'}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}
