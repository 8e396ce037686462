import { describe, expect, it } from 'vitest';
import { revisionTags, tagsTable } from '../../src/revisions/tags.js';
import { namespacesUsing } from '../../src/revisions/usage.js';

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
