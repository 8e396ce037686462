import { describe, expect, it } from 'vitest';
import { analyzeEnv } from '../../src/verify/analyze.js';

describe('analyzeEnv: the Go scheduler istioctl analyze gets beside verify', () => {
  it('leaves one core to verify, never fewer than one for analyze', () => {
    expect(analyzeEnv({}, 8)).toEqual({ GOMAXPROCS: '7' });
    expect(analyzeEnv({}, 2)).toEqual({ GOMAXPROCS: '1' });
    expect(analyzeEnv({}, 1)).toEqual({ GOMAXPROCS: '1' });
  });

  it("keeps the user's own GOMAXPROCS", () => {
    expect(analyzeEnv({ GOMAXPROCS: '4' }, 2)).toEqual({});
  });
});
