import { describe, expect, it } from 'vitest';
import {
  comparable,
  fieldChanges,
  formatPath,
  keyOf,
  parseManifests,
  refOfObject,
  removedPaths,
  withoutPaths,
} from '../../src/diff/objects.js';
import { diffLines, formatChange, hasDifferences, summarize, summaryLine } from '../../src/diff/format.js';

const deployment = (env: Array<{ name: string; value: string }>, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod' } },
  spec: { replicas, template: { spec: { containers: [{ name: 'discovery', image: 'pilot:1.31.0', env }] } } },
});

describe('rendered manifests', () => {
  it('parses a multi-document stream, skipping empty documents and expanding Lists', () => {
    const objects = parseManifests(
      [
        '# Source: istiod/templates/a.yaml',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: istiod, namespace: istio-system}',
        '',
        'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}',
        'just: a comment-like document',
      ].join('\n---\n'),
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/istiod', 'ConfigMap/a', 'ConfigMap/b']);
  });

  it('keys objects by group, not version: a CRD moving from v1beta1 to v1 is one object', () => {
    const a = refOfObject({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'istiod', namespace: 'x' } });
    const b = refOfObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'istiod', namespace: 'x' } });
    expect(keyOf(a)).toBe(keyOf(b));
    expect(keyOf(a)).not.toBe(keyOf({ ...b, namespace: 'y' }));
  });

  it('compares objects without status and server bookkeeping', () => {
    const live = {
      ...deployment([]),
      metadata: {
        name: 'istiod',
        resourceVersion: '42',
        uid: 'u',
        managedFields: [{}],
        annotations: { 'deprecated.daemonset.template.generation': '1' },
      },
      status: { replicas: 1 },
    };
    expect(comparable(live)).toEqual({ ...deployment([]), metadata: { name: 'istiod' } });
  });
});

describe('fields a new render drops', () => {
  it('finds removed map keys and list items by name, not by index', () => {
    const before = deployment([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    const after = deployment([{ name: 'B', value: '2' }]);
    const removed = removedPaths(before, after);
    expect(removed.map(formatPath)).toEqual(['spec.template.spec.containers[name=discovery].env[name=A]']);
    const labelsDropped = { ...after, metadata: { ...after.metadata, labels: {} } };
    expect(removedPaths(after, labelsDropped).map(formatPath)).toEqual(['metadata.labels.app']);
  });

  it('removes exactly those fields from the server-side dry-run result', () => {
    const applied = {
      ...deployment([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'SET_BY_SOMEONE_ELSE', value: 'x' },
      ]),
    };
    const paths = removedPaths(deployment([{ name: 'A', value: '1' }]), deployment([]));
    const result = withoutPaths(applied, paths);
    expect(result.spec.template.spec.containers[0].env.map((e) => e.name)).toEqual(['B', 'SET_BY_SOMEONE_ELSE']);
    expect(applied.spec.template.spec.containers[0].env).toHaveLength(3);
  });
});

describe('field changes', () => {
  it('names list items by name and reports each change with its old and new value', () => {
    const changes = fieldChanges('Deployment', deployment([{ name: 'A', value: '1' }]), deployment([{ name: 'A', value: '2' }], 2));
    expect(changes).toEqual([
      { op: 'change', path: 'spec.replicas', from: 1, to: 2 },
      { op: 'change', path: 'spec.template.spec.containers[name=discovery].env[name=A].value', from: '1', to: '2' },
    ]);
  });

  it('an item inserted at the head of a named list is one addition, not a shift of every later item', () => {
    const before = deployment([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    const after = deployment([{ name: 'NEW', value: 'x' }, ...before.spec.template.spec.containers[0].env]);
    expect(fieldChanges('Deployment', before, after)).toEqual([
      { op: 'add', path: 'spec.template.spec.containers[name=discovery].env[name=NEW]', to: { name: 'NEW', value: 'x' } },
    ]);
  });

  it('a multi-line string change prints as a unified diff of its lines', () => {
    const [head, ...rest] = formatChange({ op: 'change', path: 'data.values', from: 'a\nb\nc\nd', to: 'a\nb\nC\nd' });
    expect(head).toBe('~ data.values:');
    expect(rest).toEqual(['    @@ -2,3 +2,3 @@', '     b', '    -c', '    +C', '     d']);
  });

  it("never prints a Secret's values", () => {
    const secret = (value: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { token: value } });
    const changes = fieldChanges('Secret', secret('c2VjcmV0MQ=='), secret('c2VjcmV0Mg=='));
    expect(changes).toEqual([{ op: 'change', path: 'data.token', from: '<redacted>', to: '<redacted>' }]);
    expect(JSON.stringify(changes)).not.toContain('c2VjcmV0');
  });

  it('prints differing objects with their changes and a summary; unchanged ones only in the count', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' };
    const diffs = [
      { action: 'change' as const, object: ref, changes: [{ op: 'change' as const, path: 'spec.replicas', from: 1, to: 2 }] },
      { action: 'unchanged' as const, object: { ...ref, name: 'other' } },
      { action: 'create' as const, object: { apiVersion: 'v1', kind: 'Service', namespace: 'istio-system', name: 'istiod' } },
    ];
    expect(diffLines(diffs)).toEqual([
      'change    Deployment istio-system/istiod',
      '            ~ spec.replicas: 1 -> 2',
      'create    Service istio-system/istiod',
    ]);
    const summary = summarize(diffs);
    expect(hasDifferences(summary)).toBe(true);
    expect(summaryLine(summary)).toBe('1 to create, 1 to change, 0 to delete, 1 unchanged');
    expect(hasDifferences(summarize([diffs[1]]))).toBe(false);
  });
});
