import { describe, expect, it } from 'vitest';
import { revisionTags, tagsTable } from '../../src/revisions/tags.js';
import { namespacesUsing } from '../../src/revisions/usage.js';
import { changedRecords, nextTags, recordRef, tagPlanToText, type TagPlan } from '../../src/revisions/tag-plan.js';
import type { InstallRecord } from '../../src/plan/record.js';

const webhook = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
const namespace = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } });

describe('revision tags, read from the webhooks istioctl makes', () => {
  const webhooks = [
    webhook('istio-sidecar-injector-canary', { 'istio.io/rev': 'canary' }),
    webhook('istio-revision-tag-prod', { 'istio.io/rev': 'canary', 'istio.io/tag': 'prod' }),
    webhook('istio-revision-tag-default', { 'istio.io/rev': 'default', 'istio.io/tag': 'default' }),
  ];
  const namespaces = [
    namespace('shop', { 'istio.io/rev': 'prod' }),
    namespace('legacy', { 'istio-injection': 'enabled' }),
    namespace('pinned', { 'istio.io/rev': 'canary' }),
    namespace('both', { 'istio-injection': 'enabled', 'istio.io/rev': 'prod' }),
    namespace('plain'),
  ];

  it('lists each tag with its revision and the namespaces using it (istio-injection follows the default tag)', () => {
    const tags = revisionTags(webhooks, namespaces);
    expect(tags.map((t) => [t.tag, t.revision, t.namespaces.join(',')])).toEqual([
      // istio-injection wins over istio.io/rev, as Istio's webhooks select
      ['default', 'default', 'both,legacy'],
      ['prod', 'canary', 'shop'],
    ]);
    expect(tagsTable(tags)).toBe('TAG       REVISION   NAMESPACES\ndefault   default    both,legacy\nprod      canary     shop\n');
  });

  it("a revision's namespaces: its own label, its tags', and istio-injection=enabled only when no default tag says otherwise", () => {
    const tags = revisionTags(webhooks, namespaces);
    expect(namespacesUsing('canary', namespaces, tags)).toEqual(['pinned', 'shop']);
    expect(namespacesUsing('default', namespaces, tags)).toEqual(['both', 'legacy']);
    // the default tag moved to canary: istio-injection namespaces are canary's now
    const moved = revisionTags(
      [webhooks[0], webhooks[1], webhook('istio-revision-tag-default', { 'istio.io/rev': 'canary', 'istio.io/tag': 'default' })],
      namespaces,
    );
    expect(namespacesUsing('default', namespaces, moved)).toEqual([]);
    expect(namespacesUsing('canary', namespaces, moved)).toEqual(['both', 'legacy', 'pinned', 'shop']);
    // no tags at all (helm installs): istio-injection means the default revision
    expect(namespacesUsing('default', namespaces, [])).toEqual(['both', 'legacy']);
    expect(namespacesUsing('prod', namespaces, [])).toEqual(['shop']);
  });
});

describe('mesh tag --dry-run: the plan, pure over the records', () => {
  const record = (revision: string, tags?: string[]) => ({ revision, ...(tags ? { tags } : {}) }) as InstallRecord;
  const records = [record('', ['default']), record('canary', ['prod']), record('next')];

  it('a tag moves from the record of the revision it left to the record of the one it points at; others are not rewritten', () => {
    expect(nextTags(records[1], 'prod', 'next')).toEqual([]);
    expect(nextTags(records[2], 'prod', 'next')).toEqual(['prod']);
    expect(changedRecords(records, 'prod', 'next').map((r) => recordRef(r, 'istio-system'))).toEqual([
      'ConfigMap/istio-system/mesh-install-canary',
      'ConfigMap/istio-system/mesh-install-next',
    ]);
    expect(changedRecords(records, 'prod', 'canary')).toEqual([]); // already so: nothing to write
    expect(changedRecords(records, 'default', undefined).map((r) => recordRef(r, 'istio-system'))).toEqual([
      'ConfigMap/istio-system/mesh-install',
    ]);
  });

  it('the text names the command, what it writes, what it silences, the records and the namespaces', () => {
    const plan: TagPlan = {
      schemaVersion: 1,
      kind: 'TagPlan',
      action: 'set',
      tag: 'default',
      revision: 'canary',
      from: 'default',
      context: 'ctx',
      changed: true,
      command: ['tag', 'set', 'default', '--revision', 'canary', '--istioNamespace', 'istio-system', '-y', '--overwrite'],
      objects: ['MutatingWebhookConfiguration/istio-revision-tag-default'],
      deactivates: ['MutatingWebhookConfiguration/istio-sidecar-injector'],
      records: ['ConfigMap/istio-system/mesh-install-canary'],
      namespaces: ['shop'],
    };
    expect(tagPlanToText(plan)).toBe(
      [
        'mesh tag set default (dry run: nothing changed) in context ctx',
        'point tag default at revision canary (it points at default now)',
        '  $ istioctl tag set default --revision canary --istioNamespace istio-system -y --overwrite',
        '  creates or updates: MutatingWebhookConfiguration/istio-revision-tag-default',
        '  makes select nothing (one injector per namespace): MutatingWebhookConfiguration/istio-sidecar-injector',
        'record tag default in ConfigMap/istio-system/mesh-install-canary',
        'namespaces using tag default: shop (their pods keep the proxies they have until restarted)',
        '',
      ].join('\n'),
    );
    expect(tagPlanToText({ ...plan, action: 'remove', changed: false, records: [], namespaces: [] })).toBe(
      'mesh tag remove default (dry run: nothing changed) in context ctx\nno tag default: nothing to remove\n',
    );
  });
});
