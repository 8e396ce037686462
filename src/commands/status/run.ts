import { istioNamespaceOf, checkOutput, checkRevision, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway } from '../../adapters/kube.js';
import { ExitCode } from '../../errors.js';
import { gatherFacts } from '../../verify/facts.js';
import { controlPlaneWorkloads, liveControlPlaneVersion, ref } from '../../verify/checks/shared.js';
import type { ReadError } from '../../verify/types.js';
import { daemonSetStatus, deploymentStatus } from '../../verify/workload-status.js';
import { runProcess } from '../../adapters/process.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { readDrift, type Drift } from '../../diff/drift.js';
import { formatChange } from '../../diff/format.js';
import { formatRef } from '../../diff/objects.js';
import type { StatusOptions } from './options.js';

/** The install record beside the live state of what it installed. */
export async function status(globals: GlobalOptions, options: StatusOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'status');
  const ns = istioNamespaceOf(globals);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const revision = options.revision === undefined ? '' : checkRevision(options.revision);
  const facts = await gatherFacts(kube, ns, revision);
  const record = facts.record.value;
  const drift: Drift | undefined =
    record && options.drift
      ? await readDrift(kube, record, { run: runProcess, istioctl: resolveIstioRelease(options).istioctl, helm: options.helm }, target)
      : undefined;
  const { present, missing } = controlPlaneWorkloads(facts);
  // A workload not in a list that could not be read is unknown, not missing.
  const unreadKind = (workload: string) => (workload.startsWith('DaemonSet/') ? facts.daemonSets.error : facts.deployments.error);
  const workloads: Array<{ workload: string; ready: boolean | null; status: string }> = [
    ...present.map((w) => {
      const s = w.kind === 'Deployment' ? deploymentStatus(w.obj) : daemonSetStatus(w.obj);
      return { workload: ref(w), ready: s.ready, status: s.summary };
    }),
    ...missing.map((m) => {
      const error = unreadKind(m);
      return error
        ? { workload: m, ready: null, status: `could not read it (${unread(error)})` }
        : { workload: m, ready: false, status: 'not found' };
    }),
  ];
  const live = {
    // Only what istiod's image says: the record's version is no observation of what runs.
    controlPlaneVersion: liveControlPlaneVersion(facts) ?? null,
    kubernetes: facts.serverVersion?.gitVersion ?? null,
    workloads,
    injectedNamespaces: facts.namespaces.error ? null : [...facts.dataPlanePods.byNamespace.keys()],
    // Reads that were refused or failed: what status cannot speak about.
    unread: [facts.record.error, facts.deployments.error, facts.daemonSets.error, facts.namespaces.error]
      .filter((e) => e !== undefined)
      .map(unread),
  };
  if (output === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          schemaVersion: 1,
          context: kube.context,
          istioNamespace: ns,
          installed: facts.record.error ? null : Boolean(facts.record.value),
          record: facts.record.value ?? null,
          live,
          // null: not asked (--no-drift) or no record to compare with.
          drift: drift ?? null,
        },
        null,
        2,
      )}\n`,
    );
    return ExitCode.ok;
  }
  const lines: string[] = [`context ${kube.context}, namespace ${ns}, Kubernetes ${live.kubernetes}`];
  const r = facts.record.value;
  if (facts.record.error) lines.push(`install record: unknown, could not read it (${facts.record.error.need}: ${facts.record.error.kind})`);
  else if (!r) lines.push(`no mesh install record in ${ns}${present.length ? ' (Istio runs here, installed by something else)' : ''}`);
  else {
    lines.push(
      `installed by mesh ${r.meshVersion} at ${r.installedAt}: ${r.status}${r.error ? ` (${r.error})` : ''}` +
        (r.status === 'installing' && r.runner ? ` by pid ${r.runner.pid} on ${r.runner.host}` : ''),
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
  const version = facts.deployments.error ? `unknown (${unread(facts.deployments.error)})` : 'not found';
  lines.push(`live: control plane ${live.controlPlaneVersion ?? version}`);
  for (const w of workloads)
    lines.push(`  ${w.ready === null ? 'unknown  ' : w.ready ? 'ready    ' : 'NOT READY'} ${w.workload}: ${w.status}`);
  lines.push(`  injected namespaces: ${live.injectedNamespaces === null ? 'unknown' : live.injectedNamespaces.join(', ') || 'none'}`);
  if (drift) lines.push(...driftLines(drift));
  if (live.unread.length) lines.push(`not read: ${live.unread.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}

const unread = (e: ReadError) => `${e.need}: ${e.kind === 'forbidden' ? 'forbidden' : e.detail}`;

function driftLines(drift: Drift): string[] {
  if (!drift.checked) return [`drift: not checked, ${drift.why}${drift.hint ? ` (${drift.hint})` : ''}`];
  if (!drift.objects.length) return [`drift: none (${drift.compared} objects as the install applied them)`];
  const verb = { create: 'missing  ', change: 'changed  ', delete: 'extra    ', unchanged: '', unknown: 'unknown  ' } as const;
  const unknown = drift.objects.filter((d) => d.action === 'unknown').length;
  const differ = drift.objects.length - unknown;
  const others = drift.compared - unknown;
  return [
    differ
      ? `drift: ${differ} of ${drift.compared} objects differ from what the install applied (live -> as installed)` +
        (unknown ? `; ${unknown} could not be compared` : '')
      : `drift: unknown, ${unknown} of ${drift.compared} objects could not be compared` +
        (others ? ` (the other ${others} are as the install applied them)` : ''),
    ...drift.objects.flatMap((d) => [
      `  ${verb[d.action]}${formatRef(d.object)}${d.reason ? `: ${d.reason}` : ''}`,
      ...(d.changes ?? []).flatMap((c) => formatChange(c, '      ')),
    ]),
  ];
}
