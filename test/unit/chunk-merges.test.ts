import { describe, expect, it } from 'vitest';
import { planChunkMerges } from '../../scripts/chunk-merges.mjs';

// Two commands (entries a and b) over shared chunks, as esbuild splits them: `core` both load,
// `small` only a loads.
const graph = (small: { bytes?: number; imports?: string[] } = {}) => ({
  'run-a.js': { bytes: 1000, imports: ['core.js', 'small.js'] },
  'run-b.js': { bytes: 1000, imports: ['core.js'] },
  'core.js': { bytes: 100_000, imports: [] },
  'small.js': { bytes: small.bytes ?? 2000, imports: small.imports ?? ['core.js'] },
});

describe('planChunkMerges: which shared chunks the build merges', () => {
  it('merges a small chunk into one that every command loading it loads too', () => {
    expect(planChunkMerges(graph(), ['run-a.js', 'run-b.js'])).toEqual(new Map([['core.js', ['small.js']]]));
  });

  it('never merges a command (an entry) nor merges into one', () => {
    const files = { 'run-a.js': { bytes: 10, imports: ['only-a.js'] }, 'only-a.js': { bytes: 10, imports: [] } };
    expect(planChunkMerges(files, ['run-a.js'])).toEqual(new Map());
  });

  it('does not merge a chunk that would bring a command a builtin it did not load', () => {
    expect(planChunkMerges(graph({ imports: ['core.js', 'node:crypto'] }), ['run-a.js', 'run-b.js'])).toEqual(new Map());
  });

  it('does not merge a chunk that would bring a command another chunk', () => {
    const files = { ...graph({ imports: ['core.js', 'other.js'] }), 'other.js': { bytes: 200_000, imports: [] } };
    expect(planChunkMerges(files, ['run-a.js', 'run-b.js']).get('core.js')).toBeUndefined();
  });

  it('does not merge a chunk larger than the limit', () => {
    expect(planChunkMerges(graph({ bytes: 50_000 }), ['run-a.js', 'run-b.js'], 32 * 1024)).toEqual(new Map());
  });

  it('does not merge a chunk loaded by a command that does not load the target', () => {
    const files = {
      'run-a.js': { bytes: 1000, imports: ['core.js', 'small.js'] },
      'run-c.js': { bytes: 1000, imports: ['small.js'] },
      'core.js': { bytes: 100_000, imports: [] },
      'small.js': { bytes: 2000, imports: [] },
    };
    expect(planChunkMerges(files, ['run-a.js', 'run-c.js']).get('core.js')).toBeUndefined();
  });

  it('follows merges through: what merged into a chunk goes with it', () => {
    const files = {
      'run-a.js': { bytes: 1000, imports: ['core.js', 'mid.js', 'leaf.js'] },
      'run-b.js': { bytes: 1000, imports: ['core.js'] },
      'core.js': { bytes: 100_000, imports: [] },
      'mid.js': { bytes: 3000, imports: ['core.js'] },
      'leaf.js': { bytes: 1000, imports: ['mid.js'] },
    };
    const groups = planChunkMerges(files, ['run-a.js', 'run-b.js']);
    expect([...groups.keys()]).toEqual(['core.js']);
    expect(groups.get('core.js')?.sort()).toEqual(['leaf.js', 'mid.js']);
  });
});
