import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/mesh.js';
import { runTool } from '../helpers/istio.js';
import { charts, difference, kubeconfig, kubectl, kubectlApply, meshOn, namespaceLabels, resetTestbed, snapshot } from './helpers.js';

/**
 * Installs made by mesh 0.1 — which restated Istio's profiles in full and recorded that render —
 * must still uninstall cleanly with this mesh. The cluster is put in the state 0.1 left it in:
 * the same istioctl/helm commands on 0.1's rendered files, and 0.1's install record.
 */
const fixtures = join(repoRoot, 'test', 'fixtures', 'mesh-0.1');
beforeEach(resetTestbed, 120_000);

async function writeRecord(file: string): Promise<void> {
  await kubectlApply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'mesh-install', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'mesh' } },
    data: { 'record.json': readFileSync(join(fixtures, file), 'utf8') },
  });
}

describe('an install recorded by mesh 0.1', () => {
  // istioctl: without --purge, so `istioctl uninstall -f` runs on 0.1's recorded render.
  it.each([
    ['istioctl', []],
    ['helm', ['--purge']],
  ])('%s: uninstall %j removes it and leaves the cluster as it was', async (backend, flags) => {
    const before = await snapshot();
    await kubectl('create', 'namespace', 'legacy-apps');
    await kubectl('label', 'namespace', 'legacy-apps', 'team=legacy');
    const labelsBefore = await namespaceLabels('legacy-apps');
    const withLegacyApps = await snapshot();

    await kubectl('create', 'namespace', 'istio-system');
    if (backend === 'istioctl') {
      const r = await runTool('istioctl', ['install', '-f', join(fixtures, 'demo.istioctl.yaml'), '-y', '--kubeconfig', kubeconfig()]);
      expect(r.code, r.stderr).toBe(0);
      await writeRecord('istioctl-record.json');
    } else {
      for (const [release, chart] of [
        ['istio-base', 'base'],
        ['istiod', 'istio-control/istio-discovery'],
      ] as const) {
        const r = await runTool('helm', [
          'upgrade',
          '--install',
          release,
          join(charts(), chart),
          '--namespace',
          'istio-system',
          '--values',
          join(fixtures, `${release}.values.yaml`),
          '--kubeconfig',
          kubeconfig(),
        ]);
        expect(r.code, r.stderr).toBe(0);
      }
      await writeRecord('helm-record.json');
    }
    await kubectl('label', 'namespace', 'legacy-apps', 'istio-injection=enabled');

    const status = await meshOn(['status', '-o', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, record: { meshVersion: '0.1.0', backend } });
    const uninstall = await meshOn(['uninstall', ...flags, '-y']);
    expect(uninstall.code, uninstall.stderr).toBe(0);

    expect(await namespaceLabels('legacy-apps')).toEqual(labelsBefore);
    const now = await snapshot();
    // Without --purge the Istio CRDs (and only they, with the API groups they serve) stay, as istioctl leaves them.
    const crdsAndGroups = /^(CustomResourceDefinition \/[a-z.]+|APIService \/v\w+\.[a-z.]+)\.istio\.io$/;
    const leftBehind = difference(now, withLegacyApps).filter((o) => !(flags.length === 0 && crdsAndGroups.test(o)));
    expect(leftBehind, 'left behind').toEqual([]);
    expect(difference(withLegacyApps, now), 'removed').toEqual([]);
    await kubectl('delete', 'namespace', 'legacy-apps', '--wait=true', '--timeout=90s');
    if (!flags.length) {
      const crds = (await kubectl('get', 'crd', '-o', 'name')).split('\n').filter((n) => n.endsWith('.istio.io'));
      await kubectl('delete', '--wait=true', ...crds);
    }
    // The aggregator drops the API groups of deleted CRDs a moment later.
    await expect.poll(async () => difference(await snapshot(), before), { timeout: 20_000, interval: 500 }).toEqual([]);
  });
});
