import { describe, expect, it } from 'vitest';
import { analyzeEnv } from '../../src/verify/analyze-env.js';

describe('analyzeEnv: the Go runtime istioctl analyze gets beside verify', () => {
  it('leaves one core to verify, never fewer than one for analyze', () => {
    expect(analyzeEnv({}, 8)).toMatchObject({ GOMAXPROCS: '7' });
    expect(analyzeEnv({}, 2)).toMatchObject({ GOMAXPROCS: '1' });
    expect(analyzeEnv({}, 1)).toMatchObject({ GOMAXPROCS: '1' });
  });

  it("keeps the user's own GOMAXPROCS", () => {
    expect(analyzeEnv({ GOMAXPROCS: '4' }, 2)).toEqual({ GOGC: '400' });
  });

  it('collects at five times the live heap, unless the user set GOGC or GOMEMLIMIT', () => {
    expect(analyzeEnv({}, 2)).toEqual({ GOMAXPROCS: '1', GOGC: '400' });
    expect(analyzeEnv({ GOGC: '100' }, 2)).toEqual({ GOMAXPROCS: '1' });
    expect(analyzeEnv({ GOMEMLIMIT: '512MiB' }, 2)).toEqual({ GOMAXPROCS: '1' });
  });
});
