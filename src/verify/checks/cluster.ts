import { hostname } from 'node:os';
import { checkKubernetesVersion } from '../../install/compat.js';
import { versionOfImage } from '../../istio/versions.js';
import type { CheckDefinition, Facts, ReadError } from '../types.js';
import {
  controlPlaneVersion,
  controlPlaneWorkloads,
  discoveryContainer,
  fail,
  istiodDeployments,
  ok,
  recordedIstiods,
  skip,
  warn,
} from './shared.js';

/** Says whether the mesh run that was installing is gone (same host, dead pid): it was interrupted, not slow. */
function interrupted(runner: { pid: number; host: string } | undefined): string {
  if (!runner) return '';
  if (runner.host !== hostname()) return ` (mesh pid ${runner.pid} on ${runner.host} may still be running)`;
  try {
    process.kill(runner.pid, 0);
    return ` (mesh pid ${runner.pid} is still running)`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? ` (interrupted: mesh pid ${runner.pid} is gone)` : '';
  }
}

/** Every read that did not happen, for the permissions check. */
function unreadable(facts: Facts): ReadError[] {
  const reads = [
    facts.namespace.error,
    facts.record.error,
    facts.deployments.error,
    facts.daemonSets.error,
    facts.pods.error,
    facts.services.error,
    facts.endpointSlices.error,
    facts.crds.error,
    facts.mutatingWebhooks.error,
    facts.validatingWebhooks.error,
    facts.namespaces.error,
    facts.dataPlanePods.error,
  ];
  return reads.filter((e): e is ReadError => e !== undefined);
}

export const kubernetesChecks: CheckDefinition[] = [
  {
    id: 'kubernetes-api',
    category: 'kubernetes',
    description: 'Kubernetes API reachable',
    means: 'the API answered with the chosen context',
    fix: 'check `--kubeconfig`/`--context` (unreachable is exit 4)',
    reads: [],
    run: (facts) => ok(`context ${facts.context} (${facts.server}), Kubernetes ${facts.serverVersion?.gitVersion ?? 'unknown'}`),
  },
  {
    id: 'kubernetes-version',
    category: 'kubernetes',
    description: 'Kubernetes version supported by Istio',
    means: 'the server version is in the range the installed Istio supports',
    fix: 'use an Istio release that supports it, or upgrade the cluster',
    reads: ['deployments', 'record'],
    run: (facts) => {
      const istioVersion = controlPlaneVersion(facts);
      if (!facts.serverVersion || !istioVersion) return skip('no Istio version found to compare with');
      const verdict = checkKubernetesVersion(istioVersion, facts.serverVersion.minor);
      if (!verdict.ok) return fail(verdict.message, verdict.hint);
      if (verdict.note) return skip(verdict.note);
      return ok(`Kubernetes ${facts.serverVersion.gitVersion} is supported by Istio ${istioVersion}`);
    },
  },
  {
    id: 'kubernetes-permissions',
    category: 'kubernetes',
    description: 'current user may read what verify reads',
    means: 'every read verify makes (those `--skip` leaves) was allowed (warn: some were not, and the checks on them are `unknown`)',
    fix: 'bind the ClusterRole `mesh verify --print-role` prints',
    reads: [],
    judgesEveryRead: true,
    run: (facts) => {
      const errors = unreadable(facts);
      if (!errors.length) return ok('all reads permitted');
      const forbidden = errors.filter((e) => e.kind === 'forbidden').map((e) => e.need);
      const failed = errors.filter((e) => e.kind === 'failed').map((e) => `${e.need} (${e.detail})`);
      return warn(
        [forbidden.length ? `forbidden: ${forbidden.join(', ')}` : '', failed.length ? `failed: ${failed.join(', ')}` : '']
          .filter(Boolean)
          .join('; '),
        forbidden.length ? 'grant the reads with the ClusterRole from `mesh verify --print-role`' : 'the API server failed a read: retry',
      );
    },
  },
];

export const installChecks: CheckDefinition[] = [
  {
    id: 'install-namespace',
    category: 'install',
    description: 'Istio namespace present',
    means: 'the Istio namespace exists',
    fix: '`mesh install`, or `-n` for another namespace',
    reads: ['namespace'],
    run: (facts) =>
      facts.namespace.value
        ? ok(`namespace ${facts.istioNamespace} exists`)
        : fail(
            `namespace ${facts.istioNamespace} not found`,
            'install Istio with `mesh install`, or pass -n <namespace> if it lives elsewhere',
            [`Namespace/${facts.istioNamespace}`],
          ),
  },
  {
    id: 'install-record',
    category: 'install',
    description: 'mesh install record found',
    means:
      "mesh's install record exists and the install completed (warn: Istio installed by something else, or an install that did not finish)",
    fix: '`mesh install` (converges)',
    reads: ['record', 'deployments'],
    run: (facts) => {
      const ns = facts.istioNamespace;
      const record = facts.record.value;
      if (!record) {
        if (istiodDeployments(facts).length)
          return warn(
            `Istio runs in ${ns} but was not installed by mesh (no ConfigMap ${ns}/mesh-install)`,
            'install with `mesh install` to record it; uninstall cannot undo an install it has no record of',
          );
        return fail(`Istio is not installed in ${ns} (no install record, no istiod)`, 'run `mesh install --profile <name>`');
      }
      if (record.status === 'failed')
        return warn(
          `the install of profile ${record.profile} (${record.installedAt}) failed: ${record.error ?? 'no reason recorded'}`,
          'fix the cause, then re-run the same `mesh install` to converge, or `mesh uninstall` to remove what it did',
          [`ConfigMap/${ns}/mesh-install`],
        );
      if (record.status === 'installing')
        return warn(
          `the install of profile ${record.profile} (${record.installedAt}) did not complete${interrupted(record.runner)}`,
          're-run the same `mesh install` to converge, or `mesh uninstall` to remove what it did',
          [`ConfigMap/${ns}/mesh-install`],
        );
      return ok(`profile ${record.profile}, ${record.backend} backend, installed ${record.installedAt}`, [`ConfigMap/${ns}/mesh-install`]);
    },
  },
  {
    id: 'install-drift',
    category: 'install',
    description: 'live state matches the install record',
    means: 'the live state matches the record: workloads present, istiod revision and version (warn)',
    fix: 're-run the recorded install, or uninstall and reinstall',
    reads: ['record', 'deployments', 'daemonSets'],
    run: (facts) => {
      const record = facts.record.value;
      if (!record) return skip('no install record to compare with');
      const drift: string[] = [];
      const { missing } = controlPlaneWorkloads(facts);
      if (missing.length) drift.push(`missing ${missing.join(', ')}`);
      const istiods = recordedIstiods(facts);
      if (!istiods.length && istiodDeployments(facts).length)
        drift.push(
          `no istiod of revision ${record.revision || 'default'} runs; found ${istiodDeployments(facts)
            .map((d) => d.metadata?.name)
            .join(', ')}`,
        );
      for (const d of istiods) {
        const version = versionOfImage(discoveryContainer(d)?.image);
        const recorded = record.toolVersions.istioctl;
        if (record.backend === 'istioctl' && recorded && version && version !== recorded)
          drift.push(`${d.metadata?.name} runs ${version}, installed with istioctl ${recorded}`);
      }
      if (drift.length)
        return warn(drift.join('; '), 're-run `mesh install` with the recorded profile to converge, or uninstall and reinstall');
      return ok(`matches profile ${record.profile}${record.revision ? ` revision ${record.revision}` : ''}`);
    },
  },
];
