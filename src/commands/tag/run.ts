import type { V1Deployment } from '@kubernetes/client-node';
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
import { tagsTable, type RevisionTag } from '../../revisions/tags.js';
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

export async function setTag(globals: GlobalOptions, name: string, options: TagOptions): Promise<number> {
  const tag = checkTag(name);
  const revision = checkRevision(options.revision ?? '') || 'default';
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
  const current = (await readTags(kube)).find((t) => t.tag === tag);
  if (current && current.revision !== revision && !options.overwrite)
    throw preflightError(
      `tag ${tag} points at revision ${current.revision}${current.namespaces.length ? `, used by ${current.namespaces.join(', ')}` : ''}`,
      `pass --overwrite to move it to ${revision}, then restart the workloads of those namespaces`,
    );
  const progress = createProgress(outputStyle({ color: globals.color, machine: false }));
  const steps = createStepRunner(progress);
  const held = await holdLockStep(kube, ns, 'tag', options.waitForLock, steps);
  try {
    if (current?.revision === revision) progress.note(`tag ${tag} already points at revision ${revision}`);
    else
      await steps.run({ id: 'apply', description: `istioctl tag set ${tag}` }, `point tag ${tag} at revision ${revision}`, async () => {
        const argv = ['tag', 'set', tag, '--revision', revision, '--istioNamespace', ns, '-y', ...(current ? ['--overwrite'] : [])];
        await runChecked(runProcess, istioctl, [...argv, ...kubeFlags('istioctl', target)]);
      });
    await steps.run({ id: 'record', description: 'record the tag' }, `record tag ${tag} with revision ${revision}`, async () => {
      for (const record of await listRecords(kube, ns))
        await updateRecord(
          kube,
          ns,
          (r) => ({
            tags: [...new Set([...(r.tags ?? []).filter((t) => t !== tag), ...((r.revision || 'default') === revision ? [tag] : [])])],
          }),
          record.revision,
        );
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
  const ns = istioNamespaceOf(globals);
  const { istioctl } = resolveIstioRelease(options);
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const kube = await createKubeGateway(target);
  const current = (await readTags(kube)).find((t) => t.tag === tag);
  const progress = createProgress(outputStyle({ color: globals.color, machine: false }));
  if (!current) {
    progress.note(`no tag ${tag}: nothing to remove`);
    return ExitCode.ok;
  }
  if (current.namespaces.length && !options.force)
    throw preflightError(
      `tag ${tag} is used by namespace${current.namespaces.length > 1 ? 's' : ''} ${current.namespaces.join(', ')}: ` +
        'their new pods would get no sidecar',
      'label them for another tag or revision first, or pass --force',
    );
  const steps = createStepRunner(progress);
  const held = await holdLockStep(kube, ns, 'tag', options.waitForLock, steps);
  try {
    await steps.run({ id: 'apply', description: `istioctl tag remove ${tag}` }, `remove tag ${tag}`, async () => {
      await runChecked(runProcess, istioctl, ['tag', 'remove', tag, '--istioNamespace', ns, '-y', ...kubeFlags('istioctl', target)]);
    });
    await steps.run({ id: 'record', description: 'forget the tag' }, `forget tag ${tag} in the records`, async () => {
      for (const record of await listRecords(kube, ns))
        if (record.tags?.includes(tag))
          await updateRecord(kube, ns, (r) => ({ tags: (r.tags ?? []).filter((t) => t !== tag) }), record.revision);
    });
  } finally {
    await held.release();
  }
  progress.note(`tag ${tag} removed (it pointed at revision ${current.revision})`);
  return ExitCode.ok;
}
