import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import diff from 'microdiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { mesh, repoRoot } from '../helpers/mesh.js';
import { generate, istioManifestsDir, workloadKeys, type K8sObject } from '../helpers/istio.js';
import { testbedPaths } from '../helpers/testbed.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Render fidelity, with istioctl as the oracle: for every IstioOperator istioctl accepts, what
 * istioctl generates from mesh's render equals what it generates from the user's own file, object
 * by object; for every one it rejects, mesh refuses it too, naming the path. The corpus lives in
 * test/fidelity/{accepted,rejected}; `${ISTIO_MANIFESTS}` stands for the testbed's Istio release.
 */
const corpus = join(repoRoot, 'test', 'fidelity');
const accepted = readdirSync(join(corpus, 'accepted'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const rejected = readdirSync(join(corpus, 'rejected'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const t = tempDir();

function materialise(dir: 'accepted' | 'rejected', file: string): string {
  const text = readFileSync(join(corpus, dir, file), 'utf8').replaceAll('${ISTIO_MANIFESTS}', istioManifestsDir());
  return t.write(`${dir}-${file}`, text);
}

/** The first object-level difference between two renderings, or undefined when equal. */
function firstDifference(expected: Map<string, K8sObject>, actual: Map<string, K8sObject>): string | undefined {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  for (const key of keys) {
    const a = expected.get(key);
    const b = actual.get(key);
    if (!a) return `${key}: only in mesh's render`;
    if (!b) return `${key}: missing from mesh's render`;
    const changes = diff(a, b);
    if (changes.length)
      return `${key}: ${changes
        .slice(0, 3)
        .map((c) => `${c.type} ${c.path.join('.')}`)
        .join('; ')}`;
  }
  return undefined;
}

/** mesh render (args) -> file -> istioctl manifest generate, beside istioctl on the equivalent input. */
async function expectSameObjects(meshArgs: string[], istioctlArgs: string[], name: string): Promise<Map<string, K8sObject>> {
  const [rendered, direct] = await Promise.all([mesh(['render', ...meshArgs]), generate(istioctlArgs)]);
  expect(direct.code, `istioctl rejected ${istioctlArgs.join(' ')}: ${direct.stderr}`).toBe(0);
  expect(rendered.code, `mesh render ${meshArgs.join(' ')}: ${rendered.stderr}`).toBe(0);
  const file = t.write(`${name.replace(/[^\w.-]+/g, '_')}.rendered.yaml`, rendered.stdout);
  const viaMesh = await generate(['-f', file]);
  expect(viaMesh.code, `istioctl rejected mesh's render: ${viaMesh.stderr}\n${rendered.stdout}`).toBe(0);
  expect(direct.objects.size).toBeGreaterThan(0);
  expect(firstDifference(direct.objects, viaMesh.objects)).toBeUndefined();
  return direct.objects;
}

/** mesh's own model of what an install contains, against the workloads istioctl really generates. */
async function expectSameWorkloads(meshArgs: string[], objects: Map<string, K8sObject>): Promise<void> {
  const shown = await mesh(['profile', 'show', ...meshArgs, '--effective', '-o', 'json']);
  expect(shown.code, shown.stderr).toBe(0);
  const predicted = (JSON.parse(shown.stdout) as { effective: { workloads: string[] } }).effective.workloads;
  expect([...predicted].sort()).toEqual(workloadKeys(objects));
}

beforeAll(() => void testbedPaths(), 1_800_000);

describe.concurrent('IstioOperator files istioctl accepts: same objects through mesh', () => {
  it('has a corpus of at least 40 files', () => expect(accepted.length).toBeGreaterThanOrEqual(40));

  it.each(accepted)('%s', async (file) => {
    const path = materialise('accepted', file);
    const objects = await expectSameObjects(['-f', path], ['-f', path], file);
    await expectSameWorkloads(['-f', path], objects);
  });
});

describe.concurrent('IstioOperator files istioctl rejects: mesh refuses them too, naming the path', () => {
  it.each(rejected)('%s', async (file) => {
    const path = materialise('rejected', file);
    const expectedPath = /^# rejects: (\S+)/m.exec(readFileSync(path, 'utf8'))?.[1];
    expect(expectedPath, `${file} needs a "# rejects: <path>" line`).toBeTruthy();
    const [direct, rendered] = await Promise.all([generate(['-f', path]), mesh(['render', '-f', path])]);
    expect(direct.code, 'istioctl accepted a file the corpus says it rejects').not.toBe(0);
    expect(rendered.code).toBe(2);
    expect(rendered.stderr.split('\n')[0]).toContain(expectedPath);
    expect(rendered.stderr).toMatch(/\nhint: /);
    expect(rendered.stdout).toBe('');
  });
});

/** `mesh render --profile P --set ...` against `istioctl manifest generate --set profile=P --set ...`. */
const SET_CASES: Array<[string, string[]]> = [
  ['demo', ['values.pilot.traceSampling=10']],
  // seed 002's CNI install, as flags
  [
    'default',
    [
      'components.cni.enabled=true',
      'components.cni.namespace=kube-system',
      'values.cni.excludeNamespaces[0]=istio-system',
      'values.cni.excludeNamespaces[1]=kube-system',
    ],
  ],
  ['minimal', ['components.pilot.k8s.podAnnotations.prometheus\\.io/path=/stats/prometheus']],
  ['default', ['meshConfig.accessLogFile=/dev/stdout', 'meshConfig.accessLogEncoding=JSON']],
  ['default', ['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true']],
  ['minimal', ['tag=1.31']],
  ['minimal', ['hub=registry.example.com/istio', 'values.global.tag=1.30']],
  ['minimal', ['revision=canary']],
  ['minimal', ['values.global.proxy.resources.requests.cpu=10m', 'values.global.proxy.resources.requests.memory=64Mi']],
  ['default', ['components.egressGateways[0].name=istio-egressgateway', 'components.egressGateways[0].enabled=true']],
  ['demo', ['values.gateways.istio-ingressgateway.type=NodePort']],
  ['minimal', ['values.pilot.env.PILOT_ENABLE_STATUS=T']],
  ['minimal', ['values.pilot.autoscaleMin=007', 'values.pilot.autoscaleMax=9']],
  ['ambient', ['values.ztunnel.logLevel=debug', 'components.ztunnel.k8s.resources.requests.cpu=100m']],
  ['minimal', ['values.global.istioNamespace=mesh-system']],
  ['empty', ['components.pilot.enabled=true']],
  ['minimal', ['values.pilot.replicaCount=2', 'values.pilot.autoscaleEnabled=false']],
  [
    'default',
    ['meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY', 'values.global.logAsJson=true', 'values.global.logging.level=default:debug'],
  ],
  ['remote', ['values.global.remotePilotAddress=192.0.2.1']],
  ['minimal', ['compatibilityVersion=1.29']],
  ['minimal', ['values.sidecarInjectorWebhook.injectedAnnotations.example\\.com/a=x\\,y']],
  ['minimal', ['values.global.proxy.includeIPRanges=10.0.0.0/8\\,172.16.0.0/12']],
  [
    'minimal',
    [
      'components.ingressGateways[0].name=gw',
      'components.ingressGateways[0].namespace=istio-ingress',
      'components.ingressGateways[0].label.istio=gw',
    ],
  ],
  ['demo', ['values.pilot.traceSampling=1.5', 'values.global.proxy.privileged=true', 'values.global.proxy.logLevel=debug']],
];

describe.concurrent('--set: same objects as istioctl with the same flags', () => {
  it('has at least 20 cases', () => expect(SET_CASES.length).toBeGreaterThanOrEqual(20));

  it.each(SET_CASES.map(([profile, sets]) => [`${profile} ${sets.join(' ')}`, profile, sets] as const))(
    '%s',
    async (name, profile, sets) => {
      const objects = await expectSameObjects(
        ['--profile', profile, ...sets.flatMap((s) => ['--set', s])],
        ['--set', `profile=${profile}`, ...sets.flatMap((s) => ['--set', s])],
        name,
      );
      await expectSameWorkloads(['--profile', profile, ...sets.flatMap((s) => ['--set', s])], objects);
    },
  );

  it('-n means values.global.istioNamespace', async () => {
    await expectSameObjects(
      ['--profile', 'minimal', '-n', 'mesh-system'],
      ['--set', 'profile=minimal', '--set', 'values.global.istioNamespace=mesh-system'],
      'ns-flag',
    );
  });

  const refused: Array<[string, string]> = [
    // the selector looks in the user's layers, which hold no gateway list yet
    ['components.ingressGateways[name:istio-ingressgateway].k8s.replicaCount=2', 'no item with name: istio-ingressgateway'],
    ['components.pilot.k8s.podAnnotations.prometheus\\.io/scrape=true', 'components.pilot.k8s.podAnnotations.prometheus.io/scrape'],
    ['components.pilot.enabeld=true', 'components.pilot.enabeld: unknown field'],
    ['revision=Canary_1', 'revision'],
  ];
  it.each(refused)('--set %s is refused, as istioctl refuses it', async (set, why) => {
    const [direct, rendered] = await Promise.all([generate(['--set', 'profile=default', '--set', set]), mesh(['render', '--set', set])]);
    expect(direct.code).not.toBe(0);
    expect(rendered.code).toBe(2);
    expect(rendered.stderr.split('\n')[0]).toContain(why);
  });
});

it('a mesh profile overlay means what the equivalent istioctl flags mean', async () => {
  await expectSameObjects(
    ['-f', join(corpus, 'mesh-profile.yaml')],
    ['--set', 'profile=demo', '--set', 'meshConfig.enableAutoMtls=true', '--set', 'values.pilot.traceSampling=25'],
    'mesh-profile',
  );
});

describe.concurrent('several -f files layer as istioctl layers them', () => {
  const pairs: Array<[string, string[]]> = [
    ['lists replace whole', ['24-gateways-add.yaml', '26-gateway-rename.yaml']],
    ['a later null wins over an earlier value', ['15-null-leaf.yaml', '14-values-null.yaml']],
    ['profile from the last file that names one', ['02-profile-demo.yaml', '05-profile-ambient.yaml', '29-pilot-k8s.yaml']],
  ];
  it.each(pairs)('%s', async (name, files) => {
    const paths = files.map((f) => materialise('accepted', f));
    const args = paths.flatMap((p) => ['-f', p]);
    const objects = await expectSameObjects(args, args, name);
    await expectSameWorkloads(args, objects);
  });
});

/** Every field-level difference between two renderings, as `Kind/ns/name path` (object-level when one side lacks it). */
function allDifferences(before: Map<string, K8sObject>, after: Map<string, K8sObject>): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(key);
    const b = after.get(key);
    if (!a || !b) out.push(`${key} ${a ? 'removed' : 'added'}`);
    else for (const change of diff(a, b)) out.push(`${key} ${change.path.join('.')}`);
  }
  return out;
}

describe.concurrent('exposure flags: through istioctl, each changes exactly the fields it names', () => {
  const SVC = 'Service/istio-system/istio-ingressgateway';
  const DEPLOY = 'Deployment/istio-system/istio-ingressgateway';
  const cases: Array<[string, string[], string[]]> = [
    ['--ingress-type NodePort', ['--ingress-type', 'NodePort'], [`${SVC} spec.type`]],
    [
      '--ingress-node-port http=32000,https=32443',
      ['--ingress-node-port', 'http=32000,https=32443'],
      [`${SVC} spec.ports.1.nodePort`, `${SVC} spec.ports.2.nodePort`, `${SVC} spec.type`],
    ],
    [
      '--ingress-host-network',
      ['--ingress-host-network'],
      [`${DEPLOY} spec.template.spec.dnsPolicy`, `${DEPLOY} spec.template.spec.hostNetwork`],
    ],
    ['--ingress-node-selector', ['--ingress-node-selector', 'edge=true'], [`${DEPLOY} spec.template.spec.nodeSelector`]],
    ['--ingress-type ClusterIP', ['--ingress-type', 'ClusterIP'], [`${SVC} spec.type`]],
  ];
  it.each(cases)('%s', async (name, flags, expected) => {
    const [plain, exposed] = await Promise.all([mesh(['render', '--profile', 'demo']), mesh(['render', '--profile', 'demo', ...flags])]);
    expect(exposed.code, exposed.stderr).toBe(0);
    const [before, after] = await Promise.all([
      generate(['-f', t.write(`plain-${name.replace(/\W+/g, '_')}.yaml`, plain.stdout)]),
      generate(['-f', t.write(`exposed-${name.replace(/\W+/g, '_')}.yaml`, exposed.stdout)]),
    ]);
    expect(after.code, `istioctl rejected mesh's render: ${after.stderr}`).toBe(0);
    expect(allDifferences(before.objects, after.objects)).toEqual(expected);
  });

  it('the values are the ones asked for', async () => {
    const exposed = await mesh(['render', '--profile', 'demo', '--ingress-node-port', 'http=32000,https=32443', '--ingress-host-network']);
    const objects = (await generate(['-f', t.write('exposed-values.yaml', exposed.stdout)])).objects;
    const service = objects.get(SVC) as { spec: { type: string; ports: Array<{ port: number; nodePort?: number }> } };
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports.map((p) => [p.port, p.nodePort])).toEqual([
      [15021, undefined],
      [80, 32000],
      [443, 32443],
      [31400, undefined],
      [15443, undefined],
    ]);
    const pod = (objects.get(DEPLOY) as { spec: { template: { spec: { hostNetwork: boolean; dnsPolicy: string } } } }).spec.template.spec;
    expect([pod.hostNetwork, pod.dnsPolicy]).toEqual([true, 'ClusterFirstWithHostNet']);
  });
});

describe.concurrent('CNI flags: same objects as the IstioOperator fields they stand for', () => {
  it('--cni is seed 002: kube-system, the Istio namespace and kube-system left alone', async () => {
    const objects = await expectSameObjects(
      ['--profile', 'demo', '--cni'],
      [
        '--set',
        'profile=demo',
        '--set',
        'components.cni.enabled=true',
        '--set',
        'components.cni.namespace=kube-system',
        '--set',
        'values.cni.excludeNamespaces[0]=istio-system',
        '--set',
        'values.cni.excludeNamespaces[1]=kube-system',
      ],
      'cni-flag',
    );
    const daemonSet = objects.get('DaemonSet/kube-system/istio-cni-node') as {
      spec: { template: { spec: { priorityClassName: string } } };
    };
    expect(daemonSet.spec.template.spec.priorityClassName).toBe('system-node-critical');
    await expectSameWorkloads(['--profile', 'demo', '--cni'], objects);
  });

  it('--cni-exclude-namespace replaces the list', async () => {
    await expectSameObjects(
      ['--profile', 'ambient', '--cni-exclude-namespace', 'kube-system,monitoring'],
      [
        '--set',
        'profile=ambient',
        '--set',
        'values.cni.excludeNamespaces[0]=kube-system',
        '--set',
        'values.cni.excludeNamespaces[1]=monitoring',
      ],
      'cni-exclude',
    );
  });
});
