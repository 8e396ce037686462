import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS, CHECK_IDS } from '../../src/verify/catalog.js';
import { CATEGORIES } from '../../src/verify/types.js';

/**
 * The README's check list is the catalog printed: ids, anchors, categories, what ok means and the
 * fix. Regenerate it with UPDATE_README=1 after changing the catalog, and review the diff.
 */
const README = join(import.meta.dirname, '..', '..', 'README.md');
const START = '| id | category | means | fix |';

function table(): string {
  const rows = CHECKS.map((c) => `| <a id="${c.id}"></a>\`${c.id}\` | ${c.category} | ${c.means} | ${c.fix} |`);
  return [START, '|---|---|---|---|', ...rows].join('\n');
}

describe('the check catalog', () => {
  it('has unique ids in category order, each reading what it judges', () => {
    expect(new Set(CHECK_IDS).size).toBe(CHECK_IDS.length);
    const order = CHECKS.map((c) => CATEGORIES.indexOf(c.category));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const c of CHECKS) expect(c.id.startsWith(c.category.split('-')[0].replace(/s$/, '')) || c.id.startsWith('webhook')).toBe(true);
  });

  it('is what the README lists', () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(START);
    expect(start, 'README has no check table').toBeGreaterThan(-1);
    const end = text.indexOf('\n\n', start);
    const current = text.slice(start, end);
    if (process.env.UPDATE_README && current !== table()) writeFileSync(README, text.slice(0, start) + table() + text.slice(end));
    else expect(current).toBe(table());
  });
});
