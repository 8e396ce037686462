import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { jsonExact } from '../../src/diff/render-manifests.js';

const parsed = (text: string): unknown => parseAllDocuments(text).map((d) => d.toJS() as unknown);

describe('jsonExact: whether rendered objects can be remembered as JSON', () => {
  it('holds for what Kubernetes manifests are made of', () => {
    expect(jsonExact(parsed('kind: ConfigMap\ndata: {a: "1", b: 2, c: true, d: null, e: [1.5, x]}\n---\nkind: Service\n'))).toBe(true);
  });

  it('fails for what JSON cannot say back', () => {
    expect(jsonExact(parsed('spec: {limit: .inf}\n'))).toBe(false);
    expect(jsonExact(parsed('spec: [.nan]\n'))).toBe(false);
    expect(jsonExact(parsed('spec: {zero: -0.0}\n'))).toBe(false);
    expect(jsonExact([{ when: new Date(0) }])).toBe(false);
    expect(jsonExact({ bytes: new Uint8Array(1) })).toBe(false);
  });
});
