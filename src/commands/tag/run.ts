import type { V1Deployment, V1MutatingWebhookConfiguration, V1Service, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { checkOutput, checkRevision, istioNamespaceOf, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, type KubeGateway } from '../../adapters/kube.js';
import { runProcess } from '../../adapters/process.js';
import { runChecked } from '../../adapters/tool-run.js';
import { kubeFlags } from '../../plan/install.js';
import { ExitCode, preflightError } from '../../errors.js';
import { listRecords, updateRecord } from '../../install/cluster.js';
import { holdLockStep } from '../../install/lock.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { createProgress, createStepRunner } from '../../report/progress.js';
import { outputStyle } from '../../report/style.js';
import { injectionTarget, tagsTable, type RevisionTag } from '../../revisions/tags.js';
import { changedRecords, nextTags, recordRef, tagPlanToText, type TagPlan } from '../../revisions/tag-plan.js';
import { formatRef, parseObjects } from '../../addons/catalog.js';
import { readInjectionState } from '../../revisions/usage.js';
import type { TagOptions } from './options.js';

const readTags = async (kube: KubeGateway): Promise<RevisionTag[]> => (await readInjectionState(kube)).tags;

export async function listTags(globals: GlobalOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'tag list');
  const kube = await createKubeGateway({ kubeconfig: globals.kubeconfig, context: globals.context });
  const tags = await readTags(kube);
  if (output === 'json') process.stdout.write(`${JSON.stringify({ schemaVersion: 1, kind: 'RevisionTagList', tags }, null, 2)}\n`);
  else process.stdout.write(tags.length ? tagsTable(tags) : 'no revision tags\n');
  return ExitCode.ok;
}

/** A tag names a webhook and is a label value: a DNS label, as a revision. */
const checkTag = (tag: string) => checkRevision(tag, 'tag') || 'default';

/** -o: text or json with --dry-run (the plan); a change itself reports as progress, in text. */
const checkTagOutput = (globals: GlobalOptions, action: string, dryRun: boolean | undefined) =>
  dryRun
    ? checkOutput(globals.output, ['text', 'json'], `tag ${action} --dry-run`)
    : checkOutput(globals.output, ['text'], `tag ${action}`);

const printPlan = (plan: TagPlan, output: string) =>
  process.stdout.write(output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : tagPlanToText(plan));

export async function setTag(globals: GlobalOptions, name: string, options: TagOptions): Promise<number> {
  const tag = checkTag(name);
  const revision = checkRevision(options.revision ?? '') || 'default';
  const output = checkTagOutput(globals, 'set', options.dryRun);
  const ns = istioNamespaceOf(globals);
  const { istioctl } = resolveIstioRelease(options);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const istiods = await kube.list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    labelSelector: `app=istiod,istio.io/rev=${revision}`,
  });
  if (!istiods.items.length)
    throw preflightError(
      `revision ${revision} has no istiod in ${ns} (context ${kube.context}): a tag pointing at it would break injection`,
      'install it first: mesh install --revision <rev>',
    );
  const state = await readInjectionState(kube);
  const current = state.tags.find((t) => t.tag === tag);
  if (current && current.revision !== revision && !options.overwrite)
    throw preflightError(
      `tag ${tag} points at revision ${current.revision}${current.namespaces.length ? `, used by ${current.namespaces.join(', ')}` : ''}`,
      `pass --overwrite to move it to ${revision}, then restart the workloads of those namespaces`,
    );
  const argv = ['tag', 'set', tag, '--revision', revision, '--istioNamespace', ns, '-y', ...(current ? ['--overwrite'] : [])];
  const changed = current?.revision !== revision;
  const records = changedRecords(await listRecords(kube, ns), tag, revision);
  if (options.dryRun) {
    // istioctl itself says what its `tag set` would write: `tag generate` renders the same objects and changes nothing.
    const generated = changed
      ? await runChecked(runProcess, istioctl, [
          ...['tag', 'generate', tag, '--revision', revision, '--istioNamespace', ns, ...(current ? ['--overwrite'] : [])],
          ...kubeFlags('istioctl', target),
        ])
      : undefined;
    const deactivated =
      changed && tag === 'default'
        ? await kube.list<V1MutatingWebhookConfiguration>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
            labelSelector: 'istio.io/rev=default,!istio.io/tag',
          })
        : undefined;
    printPlan(
      {
        schemaVersion: 1,
        kind: 'TagPlan',
        action: 'set',
        tag,
        revision,
        ...(current && changed ? { from: current.revision } : {}),
        context: kube.context,
        changed,
        command: argv,
        objects: generated ? parseObjects('istioctl tag generate', generated.stdout).map(formatRef) : [],
        deactivates: (deactivated?.items ?? []).map((w) => `MutatingWebhookConfiguration/${w.metadata?.name}`),
        records: records.map((r) => recordRef(r, ns)),
        namespaces: state.namespaces.filter((n) => injectionTarget(n) === tag).map((n) => n.metadata?.name ?? ''),
      },
      output,
    );
    return ExitCode.ok;
  }
  const progress = createProgress(outputStyle({ color: globals.color, machine: false }));
  const steps = createStepRunner(progress);
  const held = await holdLockStep(kube, ns, 'tag', options.waitForLock, steps);
  try {
    if (!changed) progress.note(`tag ${tag} already points at revision ${revision}`);
    else
      await steps.run({ id: 'apply', description: `istioctl tag set ${tag}` }, `point tag ${tag} at revision ${revision}`, async () => {
        await runChecked(runProcess, istioctl, [...argv, ...kubeFlags('istioctl', target)]);
      });
    if (records.length)
      await steps.run({ id: 'record', description: 'record the tag' }, `record tag ${tag} with revision ${revision}`, async () => {
        for (const record of records) await updateRecord(kube, ns, (r) => ({ tags: nextTags(r, tag, revision) }), record.revision);
      });
  } finally {
    await held.release();
  }
  const after = (await readTags(kube)).find((t) => t.tag === tag);
  progress.note(
    `tag ${tag} -> revision ${revision}` +
      (after?.namespaces.length ? `; restart the workloads of ${after.namespaces.join(', ')} to move their proxies` : ''),
  );
  return ExitCode.ok;
}

export async function removeTag(globals: GlobalOptions, name: string, options: TagOptions): Promise<number> {
  const tag = checkTag(name);
  const output = checkTagOutput(globals, 'remove', options.dryRun);
  const ns = istioNamespaceOf(globals);
  const { istioctl } = resolveIstioRelease(options);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const current = (await readTags(kube)).find((t) => t.tag === tag);
  const progress = createProgress(outputStyle({ color: globals.color, machine: false }));
  if (!current && !options.dryRun) {
    progress.note(`no tag ${tag}: nothing to remove`);
    return ExitCode.ok;
  }
  if (current?.namespaces.length && !options.force)
    throw preflightError(
      `tag ${tag} is used by namespace${current.namespaces.length > 1 ? 's' : ''} ${current.namespaces.join(', ')}: ` +
        'their new pods would get no sidecar',
      'label them for another tag or revision first, or pass --force',
    );
  const argv = ['tag', 'remove', tag, '--istioNamespace', ns, '-y'];
  const records = changedRecords(await listRecords(kube, ns), tag, undefined);
  if (options.dryRun) {
    // What istioctl's `tag remove` deletes: the webhooks and Services labelled with the tag.
    const selector = { labelSelector: `istio.io/tag=${tag}` };
    const [mutating, validating, services] = current
      ? await Promise.all([
          kube.list<V1MutatingWebhookConfiguration>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', selector),
          kube.list<V1ValidatingWebhookConfiguration>('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', selector),
          kube.list<V1Service>(`/api/v1/namespaces/${ns}/services`, selector),
        ])
      : [{ items: [] }, { items: [] }, { items: [] }];
    printPlan(
      {
        schemaVersion: 1,
        kind: 'TagPlan',
        action: 'remove',
        tag,
        revision: current?.revision ?? '',
        context: kube.context,
        changed: current !== undefined,
        command: argv,
        objects: [
          ...mutating.items.map((w) => `MutatingWebhookConfiguration/${w.metadata?.name}`),
          ...validating.items.map((w) => `ValidatingWebhookConfiguration/${w.metadata?.name}`),
          ...services.items.map((svc) => `Service/${ns}/${svc.metadata?.name}`),
        ],
        deactivates: [],
        records: records.map((r) => recordRef(r, ns)),
        namespaces: current?.namespaces ?? [],
      },
      output,
    );
    return ExitCode.ok;
  }
  const steps = createStepRunner(progress);
  const held = await holdLockStep(kube, ns, 'tag', options.waitForLock, steps);
  try {
    await steps.run({ id: 'apply', description: `istioctl tag remove ${tag}` }, `remove tag ${tag}`, async () => {
      await runChecked(runProcess, istioctl, [...argv, ...kubeFlags('istioctl', target)]);
    });
    if (records.length)
      await steps.run({ id: 'record', description: 'forget the tag' }, `forget tag ${tag} in the records`, async () => {
        for (const record of records) await updateRecord(kube, ns, (r) => ({ tags: nextTags(r, tag, undefined) }), record.revision);
      });
  } finally {
    await held.release();
  }
  progress.note(`tag ${tag} removed (it pointed at revision ${current!.revision})`);
  return ExitCode.ok;
}
