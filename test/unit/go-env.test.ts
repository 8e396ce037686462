import { describe, expect, it } from 'vitest';
import { analyzeEnv, renderGcEnv } from '../../src/adapters/go-env.js';

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

describe("renderGcEnv: the Go collector for a render that exits (helm template of install's values check)", () => {
  it('GOGC=400 unless the user set GOGC or GOMEMLIMIT', () => {
    expect(renderGcEnv({})).toEqual({ GOGC: '400' });
    expect(renderGcEnv({ GOGC: '100' })).toEqual({});
    expect(renderGcEnv({ GOMEMLIMIT: '1GiB' })).toEqual({});
  });
});
