import { describe, expect, it } from 'vitest';
import { unsafeEntry } from '../../src/istio/archive.js';
import { compareVersions } from '../../src/istio/cache.js';
import { archiveUrl, istioPlatform, latestFromListing, parseSha256File } from '../../src/istio/release-url.js';

const file = (path: string) => ({ path, type: 'File' });
const top = [{ path: 'istio-1.31.0/', type: 'Directory' }, file('istio-1.31.0/bin/istioctl')];

describe('release archive entries', () => {
  it('accepts a release tree, with links that stay inside it', () => {
    expect(unsafeEntry([...top, { path: 'istio-1.31.0/tools/x', type: 'SymbolicLink', linkpath: '../bin/istioctl' }])).toBeUndefined();
  });
  it.each([
    [[...top, file('/etc/passwd')], /absolute path/],
    [[...top, file('istio-1.31.0/../../x')], /leaves the archive/],
    [[...top, { path: 'istio-1.31.0/l', type: 'SymbolicLink', linkpath: '../../etc' }], /link pointing outside/],
    [[...top, { path: 'istio-1.31.0/l', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /link to an absolute path/],
    [[...top, { path: 'istio-1.31.0/h', type: 'Link', linkpath: 'other/x' }], /link pointing outside/],
    [[...top, { path: 'istio-1.31.0/dev', type: 'CharacterDevice' }], /CharacterDevice entry/],
    [[...top, file('other/x')], /one top-level directory/],
  ])('refuses %j', (entries, why) => {
    expect(unsafeEntry(entries)).toMatch(why);
  });
});

describe('release URLs and versions', () => {
  it('names archives as Istio does', () => {
    expect(istioPlatform('linux', 'x64')).toBe('linux-amd64');
    expect(istioPlatform('darwin', 'arm64')).toBe('osx-arm64');
    expect(istioPlatform('darwin', 'x64')).toBe('osx');
    expect(() => istioPlatform('win32', 'x64')).toThrow(/no Istio release archive for win32\/x64/);
    expect(archiveUrl('https://m.example/istio', '1.31.0', 'linux-amd64').href).toBe(
      'https://m.example/istio/1.31.0/istio-1.31.0-linux-amd64.tar.gz',
    );
  });
  it('reads checksum files and listings', () => {
    expect(parseSha256File(`${'A'.repeat(64)}  istio.tar.gz\n`, 'u')).toBe('a'.repeat(64));
    expect(() => parseSha256File('<html>', 'u')).toThrow(/not a sha256 checksum file/);
    expect(latestFromListing('<a href="1.9.0/">x</a><a href="1.31.0/"></a><a href="1.31.0-beta.1/"></a><a href="1.10.2/">')).toBe('1.31.0');
    expect(['1.10.0', '1.9.0', '1.31.0-beta.1', '1.31.0'].sort(compareVersions)).toEqual(['1.9.0', '1.10.0', '1.31.0-beta.1', '1.31.0']);
  });
});
