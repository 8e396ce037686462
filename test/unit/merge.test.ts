import { describe, expect, it } from 'vitest';
import { deepMerge, sortKeys } from '../../src/profiles/merge.js';

describe('deepMerge', () => {
  it('merges objects key by key, later wins', () => {
    expect(deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3, d: 4 } })).toEqual({ a: { b: 1, c: 3, d: 4 } });
  });
  it('removes a key set to null, as Helm does', () => {
    expect(deepMerge({ a: { b: 1, c: 2 } }, { a: { b: null } })).toEqual({ a: { c: 2 } });
  });
  it('merges lists of named items by name and replaces other lists', () => {
    const base = { gw: [{ name: 'in', enabled: true, k8s: { replicaCount: 1 } }, { name: 'out', enabled: false }], ports: [1, 2] };
    const out = deepMerge(base, { gw: [{ name: 'out', enabled: true }, { name: 'new' }], ports: [3] });
    expect(out).toEqual({ gw: [{ name: 'in', enabled: true, k8s: { replicaCount: 1 } }, { name: 'out', enabled: true }, { name: 'new' }], ports: [3] });
  });
  it('does not share structure with its inputs', () => {
    const overlay = { a: { list: [1] } };
    const out = deepMerge({}, overlay);
    (out.a as { list: number[] }).list.push(2);
    expect(overlay.a.list).toEqual([1]);
  });
});

describe('sortKeys', () => {
  it('sorts nested keys and keeps list order', () => {
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } }))).toBe('{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
