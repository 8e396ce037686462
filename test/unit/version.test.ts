import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MESH_VERSION } from '../../src/version.js';

it('MESH_VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(MESH_VERSION).toBe(pkg.version);
});
