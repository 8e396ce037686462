import { describe, expect, it } from 'vitest';
import { applySet, formatPath, parsePath, parseSet, typeValue } from '../../src/profiles/set-path.js';
import { CliError } from '../../src/errors.js';

describe('--set path parsing (istioctl splitPath)', () => {
  it('splits keys, indexes and selectors', () => {
    expect(parsePath('components.ingressGateways[name:istio-ingressgateway].k8s.env[0].value')).toEqual([
      { kind: 'key', key: 'components' },
      { kind: 'key', key: 'ingressGateways' },
      { kind: 'select', field: 'name', value: 'istio-ingressgateway' },
      { kind: 'key', key: 'k8s' },
      { kind: 'key', key: 'env' },
      { kind: 'index', index: 0 },
      { kind: 'key', key: 'value' },
    ]);
  });

  it('keeps escaped dots inside a key (annotation names)', () => {
    const path = parsePath('components.pilot.k8s.podAnnotations.prometheus\\.io/scrape');
    expect(path.at(-1)).toEqual({ kind: 'key', key: 'prometheus.io/scrape' });
    expect(formatPath(path)).toBe('components.pilot.k8s.podAnnotations.prometheus\\.io/scrape');
  });

  it('skips empty segments and one leading or trailing dot, as istioctl does', () => {
    expect(formatPath(parsePath('values..pilot.'))).toBe('values.pilot');
    expect(formatPath(parsePath('.values.pilot'))).toBe('values.pilot');
  });

  it.each(['a[', 'a[x]', '[0].a', 'a[0]b', 'a[0][1]', '.', ''])('rejects %j as a usage error', (bad) => {
    try {
      parsePath(bad);
      throw new Error('expected a usage error');
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
    }
  });

  it('requires path=value and trims both sides', () => {
    expect(() => parseSet('values.pilot.traceSampling')).toThrow(/expected path=value/);
    expect(() => parseSet('=1')).toThrow(/expected path=value/);
    expect(parseSet(' values.pilot.traceSampling = 5 ')).toMatchObject({ value: 5 });
  });
});

describe('--set value typing follows istioctl (Atoi, ParseFloat, ParseBool)', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['T', true],
    ['FALSE', false],
    ['True', true],
    ['100', 100],
    ['007', 7],
    ['+5', 5],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['-3', -3],
    ['0x1p-2', 0.25],
    ['0x10', '0x10'],
    ['1.31.0', '1.31.0'],
    ['', ''],
    ['a\\,b', 'a,b'],
    ['$(rm -rf /); `id` | cat', '$(rm -rf /); `id` | cat'],
    ['12345678901234567890', 12345678901234567000],
  ])('%j -> %j', (text, value) => expect(typeValue(text)).toEqual(value));

  it('refuses non-finite numbers, which istioctl cannot serialise', () => {
    expect(() => typeValue('Inf')).toThrow(CliError);
    expect(() => typeValue('nan')).toThrow(CliError);
  });

  it('keeps tags, compatibility versions and proxyMetadata as strings', () => {
    expect(parseSet('tag=1.30').value).toBe('1.30');
    expect(parseSet('values.global.tag=1.30').value).toBe('1.30');
    expect(parseSet('compatibilityVersion=1.29').value).toBe('1.29');
    expect(parseSet('meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true').value).toBe('true');
    expect(parseSet('values.pilot.traceSampling=1.30').value).toBe(1.3);
  });

  it('keeps everything after the first = (values may contain =)', () => {
    expect(parseSet('meshConfig.accessLogFormat=a=b').value).toBe('a=b');
  });
});

describe('applySet', () => {
  const tree = { components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] } };

  it('sets through a list selector without touching the input', () => {
    const out = applySet(tree, parseSet('components.ingressGateways[name:istio-ingressgateway].enabled=false'));
    expect(out).toEqual({ components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] } });
    expect(tree.components.ingressGateways[0].enabled).toBe(true);
  });

  it('creates objects and lists on the way and appends past the end of a list', () => {
    expect(applySet(tree, parseSet('components.ingressGateways[5].name=extra')).components).toMatchObject({
      ingressGateways: [{ name: 'istio-ingressgateway' }, { name: 'extra' }],
    });
    expect(applySet({}, parseSet('values.pilot.env.FOO=bar'))).toEqual({ values: { pilot: { env: { FOO: 'bar' } } } });
    expect(applySet({}, parseSet('values.cni.excludeNamespaces[0]=kube-system'))).toEqual({
      values: { cni: { excludeNamespaces: ['kube-system'] } },
    });
  });

  it('replaces a list element by index', () => {
    expect(applySet({ a: ['x', 'y'] }, parseSet('a[1]=z'))).toEqual({ a: ['x', 'z'] });
  });

  it('refuses a selector that matches nothing, and paths through scalars', () => {
    expect(() => applySet(tree, parseSet('components.ingressGateways[name:nope].enabled=true'))).toThrow(/no item with name: nope/);
    expect(() => applySet(tree, parseSet('components.ingressGateways.enabled=true'))).toThrow(/is a list, not an object/);
    expect(() => applySet({ a: 'x' }, parseSet('a.b=1'))).toThrow(/is the string "x", not an object/);
  });

  it('matches selectors against strings only, as istioctl compares', () => {
    expect(() => applySet({ l: [{ id: 1 }] }, parseSet('l[id:1].x=2'))).toThrow(/no item with id: 1/);
  });
});
