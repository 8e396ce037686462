import { describe, expect, it } from 'vitest';
import { applySet, formatPath, parsePath, parseSet, typeValue } from '../../src/profiles/set-path.js';
import { CliError } from '../../src/errors.js';

describe('--set path parsing', () => {
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

  it.each(['a..b', '.a', 'a.', 'a[', 'a[x]', '[0].a', 'a[0]b', 'a b'])('rejects %s as a usage error', (bad) => {
    expect(() => parsePath(bad)).toThrow(CliError);
    try {
      parsePath(bad);
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).message).toContain(bad);
    }
  });

  it('requires path=value', () => {
    expect(() => parseSet('values.pilot.traceSampling')).toThrow(/expected path=value/);
    expect(() => parseSet('=1')).toThrow(/expected path=value/);
  });
});

describe('--set value typing follows istioctl', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['100', 100],
    ['0.5', 0.5],
    ['-3', -3],
    ['1.31.0', '1.31.0'],
    ['007', '007'],
    ['True', 'True'],
    ['', ''],
    ['$(rm -rf /); `id` | cat', '$(rm -rf /); `id` | cat'],
    ['12345678901234567890', '12345678901234567890'],
  ])('%j -> %j', (text, value) => expect(typeValue(text)).toEqual(value));

  it('keeps everything after the first = (values may contain =)', () => {
    expect(parseSet('meshConfig.accessLogFormat=a=b').value).toBe('a=b');
  });
});

describe('applySet', () => {
  const tree = { components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] } };

  it('sets through a list selector without touching the input', () => {
    const out = applySet(tree, parseSet('components.ingressGateways[name:istio-ingressgateway].enabled=false'));
    expect(out).toEqual({ components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] } });
    expect(tree.components.ingressGateways[0]!.enabled).toBe(true);
  });

  it('creates intermediate objects and appends at the end of a list', () => {
    const out = applySet(tree, parseSet('components.ingressGateways[1].name=extra'));
    expect(out.components).toMatchObject({ ingressGateways: [{ name: 'istio-ingressgateway' }, { name: 'extra' }] });
    expect(applySet({}, parseSet('values.pilot.env.FOO=bar'))).toEqual({ values: { pilot: { env: { FOO: 'bar' } } } });
  });

  it('refuses a selector that matches nothing and an index past the end', () => {
    expect(() => applySet(tree, parseSet('components.ingressGateways[name:nope].enabled=true'))).toThrow(/no item with name=nope/);
    expect(() => applySet(tree, parseSet('components.ingressGateways[5].enabled=true'))).toThrow(/past the end/);
    expect(() => applySet(tree, parseSet('components.ingressGateways.enabled=true'))).toThrow(/is not an object/);
  });
});
