import { parseAllDocuments } from 'yaml';
import { usageError } from '../errors.js';
import { isTree, type Tree } from '../profiles/merge.js';
import { ADDON_FILES, ADDON_NAMES } from './names.js';

/** One object of an addon, as the record keeps it: enough to find and delete it again. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface AddonObject extends ObjectRef {
  body: Tree;
}

export const formatRef = (o: ObjectRef) => `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** Workload kinds whose rollout an addon install waits for. */
export const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function checkAddonNames(names: string[]): string[] {
  if (!names.length) throw usageError('name at least one addon', `one or more of: ${ADDON_NAMES.join(', ')}`);
  for (const name of names) if (!(name in ADDON_FILES)) throw usageError(`addon ${name}: unknown`, `mesh knows: ${ADDON_NAMES.join(', ')}`);
  return [...new Set(names)];
}

/** A manifest's objects in file order (empty documents skipped); a malformed one names the file. */
export function parseObjects(source: string, text: string): AddonObject[] {
  const objects: AddonObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw usageError(`${source}: ${doc.errors[0].message}`, 'the release directory looks damaged: fetch it again');
    const body: unknown = doc.toJS();
    if (body === null || body === undefined) continue;
    if (!isTree(body) || typeof body.kind !== 'string' || typeof body.apiVersion !== 'string' || !isTree(body.metadata))
      throw usageError(
        `${source}: a document without apiVersion, kind and metadata`,
        'the release directory looks damaged: fetch it again',
      );
    const namespace = typeof body.metadata.namespace === 'string' ? body.metadata.namespace : undefined;
    objects.push({
      apiVersion: body.apiVersion,
      kind: body.kind,
      ...(namespace ? { namespace } : {}),
      name: String(body.metadata.name),
      body,
    });
  }
  if (!objects.length) throw usageError(`${source}: no objects`, 'the release directory looks damaged: fetch it again');
  return objects;
}

/**
 * An addon's manifest -> its objects. The samples install into istio-system by name; mesh applies
 * them as Istio ships them, so an Istio namespace other than theirs is refused rather than
 * rewritten (their configs name the namespace too).
 */
export function parseAddon(name: string, source: string, text: string, istioNamespace: string): AddonObject[] {
  const objects = parseObjects(source, text);
  const elsewhere = objects.find((o) => o.namespace !== undefined && o.namespace !== istioNamespace);
  if (elsewhere)
    throw usageError(
      `addon ${name}: its manifest installs into ${elsewhere.namespace}, not the Istio namespace ${istioNamespace}`,
      `Istio's sample addons go with an Istio in ${elsewhere.namespace}: pass -n ${elsewhere.namespace}`,
    );
  return objects;
}
