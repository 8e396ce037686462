import { execFileSync } from 'node:child_process';
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CliError } from '../../src/errors.js';
import { profileFromOptions } from '../../src/profiles/index.js';
import { applySetToSpec } from '../../src/profiles/resolve.js';
import { parseSet } from '../../src/profiles/set-path.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Whatever the input, the profile loader and the --set parser either accept it or refuse it
 * with a usage error (exit 2, one line): never another exception, never a hang.
 */
const acceptsOrRefuses = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch (error) {
    if (!(error instanceof CliError) || error.exitCode !== 2) throw error;
    expect(error.message).not.toContain('\n');
    return true;
  }
};

const t = tempDir();

describe('property: --set', () => {
  const pathChars = fc.constantFrom(...'abcz.[]:\\=,0123456789 -_/*'.split(''));
  const setText = fc.oneof(fc.string(), fc.string({ unit: pathChars, maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

  it('parses or refuses any text', () => {
    fc.assert(
      fc.property(setText, (raw) => acceptsOrRefuses(() => parseSet(raw))),
      { numRuns: 2000 },
    );
  });

  it('applies or refuses any parsed assignment to any spec', () => {
    const spec = fc.dictionary(fc.constantFrom('values', 'components', 'meshConfig', 'hub', 'x'), fc.jsonValue());
    fc.assert(
      fc.property(setText, spec, (raw, tree) => acceptsOrRefuses(() => applySetToSpec(tree, parseSet(raw)))),
      { numRuns: 1000 },
    );
  });
});

describe('property: profile loader', () => {
  it('loads or refuses any YAML document as an overlay', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), fc.boolean(), (value, asIstioOperator) => {
        const doc = asIstioOperator ? { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: value } : value;
        const path = t.write(`any-${n++}.yaml`, stringify(doc, { aliasDuplicateObjects: false }) ?? '');
        return acceptsOrRefuses(() => profileFromOptions({ filename: [path] }));
      }),
      { numRuns: 400 },
    );
  });

  it('loads or refuses any bytes as an overlay', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const path = join(t.dir, `bytes-${n++}.yaml`);
        writeFileSync(path, bytes);
        return acceptsOrRefuses(() => profileFromOptions({ filename: [path] }));
      }),
      { numRuns: 400 },
    );
  });
});

describe('hostile files are refused with one line', () => {
  const refused = (path: string): CliError => {
    try {
      profileFromOptions({ filename: [path] });
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      return error as CliError;
    }
    throw new Error(`${path} was accepted`);
  };

  it('a YAML alias bomb', () => {
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      text += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    }
    expect(refused(t.write('bomb.yaml', text)).message).toMatch(/alias/i);
  });

  it('a document that is not a mapping, even one alias pointing nowhere (found by the property above)', () => {
    expect(refused(t.write('alias.yaml', '*\u000e')).message).toMatch(/must be a YAML mapping \(key: value\), not an alias|not valid YAML/);
    expect(refused(t.write('lone-alias.yaml', '*x\n')).message).toMatch(/not valid YAML|not an alias/);
    expect(refused(t.write('list.yaml', '- a\n')).message).toMatch(/must be a YAML mapping \(key: value\), not a list$/);
    expect(refused(t.write('scalar.yaml', '42\n')).message).toMatch(/not a number$/);
  });

  it('a deeply nested document', () => {
    expect(refused(t.write('deep.yaml', `spec: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`)).message).toMatch(/not valid YAML/);
  });

  it('a 50 MB overlay, without reading it', () => {
    const path = join(t.dir, 'huge.yaml');
    writeFileSync(path, 'spec:\n');
    truncateSync(path, 50 * 1024 * 1024);
    expect(refused(path).message).toMatch(/is 50\.0 MiB; profiles and overlays are limited to 4 MiB/);
  });

  it('binary and non-UTF-8 files', () => {
    expect(refused(t.write('bin.yaml', '\u0000\u0001ELF')).message).toMatch(/binary file/);
    const latin1 = join(t.dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(refused(latin1).message).toMatch(/not UTF-8/);
  });

  it('a symlink loop, a directory and a FIFO (which must not block)', () => {
    symlinkSync(join(t.dir, 'loop-b.yaml'), join(t.dir, 'loop-a.yaml'));
    symlinkSync(join(t.dir, 'loop-a.yaml'), join(t.dir, 'loop-b.yaml'));
    expect(refused(join(t.dir, 'loop-a.yaml')).message).toMatch(/symlink loop/);
    expect(refused(t.dir).message).toMatch(/it is a directory/);
    const fifo = join(t.dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(refused(fifo).message).toMatch(/not a regular file/);
  });
});
