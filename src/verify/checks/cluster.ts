import { checkKubernetesVersion } from '../../install/compat.js';
import type { CheckResult, Facts } from '../types.js';
import { controlPlaneVersion, controlPlaneWorkloads, discoveryContainer, imageTag, istiodDeployments, result } from './shared.js';

export function kubernetesChecks(facts: Facts): CheckResult[] {
  const out: CheckResult[] = [];
  const k = (id: string, d: string, ...rest: [CheckResult['status'], string, string?, string[]?]) =>
    out.push(result('kubernetes', id, d, ...rest));
  k(
    'kubernetes-api',
    'Kubernetes API reachable',
    'ok',
    `context ${facts.context} (${facts.server}), Kubernetes ${facts.serverVersion?.gitVersion ?? 'unknown'}`,
  );
  const istioVersion = controlPlaneVersion(facts);
  if (!facts.serverVersion || !istioVersion)
    k('kubernetes-version', 'Kubernetes version supported by Istio', 'skip', 'no Istio version found to compare with');
  else {
    const verdict = checkKubernetesVersion(istioVersion, facts.serverVersion.minor);
    if (!verdict.ok) k('kubernetes-version', 'Kubernetes version supported by Istio', 'fail', verdict.message, verdict.hint);
    else if (verdict.note) k('kubernetes-version', 'Kubernetes version supported by Istio', 'skip', verdict.note);
    else
      k(
        'kubernetes-version',
        'Kubernetes version supported by Istio',
        'ok',
        `Kubernetes ${facts.serverVersion.gitVersion} is supported by Istio ${istioVersion}`,
      );
  }
  const forbidden = [
    facts.deployments,
    facts.daemonSets,
    facts.pods,
    facts.services,
    facts.endpointSlices,
    facts.crds,
    facts.mutatingWebhooks,
    facts.validatingWebhooks,
    facts.namespaces,
  ]
    .map((r) => r.forbidden)
    .filter((f): f is string => Boolean(f));
  if (forbidden.length)
    k(
      'kubernetes-permissions',
      'current user may read what verify reads',
      'fail',
      `forbidden: ${forbidden.join(', ')}`,
      'grant the user read access (e.g. the "view" ClusterRole plus CRDs and webhook configurations)',
    );
  else k('kubernetes-permissions', 'current user may read what verify reads', 'ok', 'all reads permitted');
  return out;
}

export function installChecks(facts: Facts): CheckResult[] {
  const out: CheckResult[] = [];
  const ns = facts.istioNamespace;
  const add = (id: string, d: string, ...rest: [CheckResult['status'], string, string?, string[]?]) =>
    out.push(result('install', id, d, ...rest));
  if (facts.namespace) add('install-namespace', 'Istio namespace present', 'ok', `namespace ${ns} exists`);
  else
    add(
      'install-namespace',
      'Istio namespace present',
      'fail',
      `namespace ${ns} not found`,
      `install Istio with \`mesh install\`, or pass -n <namespace> if it lives elsewhere`,
      [`Namespace/${ns}`],
    );
  const istiod = istiodDeployments(facts);
  const record = facts.record;
  if (!record) {
    if (istiod.length)
      add(
        'install-record',
        'mesh install record found',
        'warn',
        `Istio runs in ${ns} but was not installed by mesh (no ConfigMap ${ns}/mesh-install)`,
        'install with `mesh install` to record it; uninstall cannot undo an install it has no record of',
      );
    else
      add(
        'install-record',
        'mesh install record found',
        'fail',
        `Istio is not installed in ${ns} (no install record, no istiod)`,
        'run `mesh install --profile <name>`',
      );
    return out;
  }
  if (record.status === 'installing')
    add(
      'install-record',
      'mesh install record found',
      'warn',
      `the install of profile ${record.profile} (${record.installedAt}) did not complete`,
      're-run the same `mesh install` to converge, or `mesh uninstall` to remove what it did',
      [`ConfigMap/${ns}/mesh-install`],
    );
  else
    add(
      'install-record',
      'mesh install record found',
      'ok',
      `profile ${record.profile}, ${record.backend} backend, installed ${record.installedAt}`,
      undefined,
      [`ConfigMap/${ns}/mesh-install`],
    );
  const drift: string[] = [];
  const { missing } = controlPlaneWorkloads(facts);
  if (missing.length) drift.push(`missing ${missing.join(', ')}`);
  for (const d of istiod) {
    const rev = d.metadata?.labels?.['istio.io/rev'] ?? 'default';
    if (rev !== (record.revision || 'default'))
      drift.push(`${d.metadata?.name} has revision ${rev}, record says ${record.revision || 'default'}`);
    const tag = imageTag(discoveryContainer(d)?.image);
    const recorded = record.toolVersions.istioctl;
    if (record.backend === 'istioctl' && recorded && tag && tag !== recorded)
      drift.push(`${d.metadata?.name} runs ${tag}, installed with istioctl ${recorded}`);
  }
  if (drift.length)
    add(
      'install-drift',
      'live state matches the install record',
      'warn',
      drift.join('; '),
      're-run `mesh install` with the recorded profile to converge, or uninstall and reinstall',
    );
  else
    add(
      'install-drift',
      'live state matches the install record',
      'ok',
      `matches profile ${record.profile}${record.revision ? ` revision ${record.revision}` : ''}`,
    );
  return out;
}
