import { describe, expect, it } from 'vitest';
import { getPath, mergeFrom, sortKeys } from '../../src/profiles/merge.js';

/** istioctl's Map.MergeFrom, which mesh must match for `-f a -f b` to mean what it means to istioctl. */
describe('mergeFrom', () => {
  it('merges objects key by key, later wins', () => {
    expect(mergeFrom({ a: { b: 1, c: 2 } }, { a: { c: 3, d: 4 } })).toEqual({ a: { b: 1, c: 3, d: 4 } });
  });
  it('keeps a later null as a value instead of removing the key (Helm then drops the chart default)', () => {
    expect(mergeFrom({ a: { b: 1, c: 2 } }, { a: { b: null } })).toEqual({ a: { b: null, c: 2 } });
    expect(mergeFrom({ values: { global: { x: 1 } } }, { values: null })).toEqual({ values: null });
  });
  it('replaces lists whole, gateway lists included', () => {
    const base = {
      gw: [
        { name: 'in', enabled: true },
        { name: 'out', enabled: false },
      ],
      ports: [1, 2],
    };
    expect(mergeFrom(base, { gw: [{ name: 'new' }], ports: [3] })).toEqual({ gw: [{ name: 'new' }], ports: [3] });
  });
  it('lets a scalar replace an object and an object replace a scalar', () => {
    expect(mergeFrom({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(mergeFrom({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });
  it('does not share structure with its inputs', () => {
    const base = { a: { list: [1] } };
    const overlay = { b: { list: [2] } };
    const out = mergeFrom(base, overlay);
    (out.a as { list: number[] }).list.push(9);
    (out.b as { list: number[] }).list.push(9);
    expect(base.a.list).toEqual([1]);
    expect(overlay.b.list).toEqual([2]);
  });
});

describe('sortKeys and getPath', () => {
  it('sorts nested keys and keeps list order', () => {
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } }))).toBe('{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });
  it('reads through objects only', () => {
    expect(getPath({ a: { b: { c: 1 } } }, ['a', 'b', 'c'])).toBe(1);
    expect(getPath({ a: [{ b: 1 }] }, ['a', 'b'])).toBeUndefined();
    expect(getPath({ a: null }, ['a', 'b'])).toBeUndefined();
  });
});
