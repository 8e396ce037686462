import { describe, expect, it } from 'vitest';
import { judgeUpgrade, parseIstioVersion, revisionForVersion } from '../../src/revisions/upgrade-rules.js';

describe("Istio's upgrade rules", () => {
  it('reads tagged and untagged versions, and nothing else', () => {
    expect(parseIstioVersion('1.31.0')).toEqual({ major: 1, minor: 31, patch: 0 });
    expect(parseIstioVersion('1.30-dev')).toEqual({ major: 1, minor: 30 });
    expect(parseIstioVersion('1.31.0-distroless')).toEqual({ major: 1, minor: 31, patch: 0 });
    expect(parseIstioVersion('latest')).toBeUndefined();
  });

  it('a canary may jump two minors, in place one; the refusal names the step to take', () => {
    expect(judgeUpgrade('1.30-dev', '1.31.0', 'in-place')).toEqual({ minors: 1 });
    expect(judgeUpgrade('1.29.3', '1.31.0', 'canary')).toEqual({ minors: 2 });
    expect(() => judgeUpgrade('1.29.3', '1.31.0', 'in-place')).toThrow(
      /1\.29\.3 -> 1\.31\.0 is 2 minors; Istio supports at most 1 per in-place upgrade/,
    );
    try {
      judgeUpgrade('1.28.1', '1.31.0', 'canary');
    } catch (error) {
      expect((error as { hint?: string; exitCode: number }).hint).toBe('upgrade to 1.30.x first');
      expect((error as { exitCode: number }).exitCode).toBe(3);
    }
  });

  it('never backwards, across majors or from something that is not a version', () => {
    expect(() => judgeUpgrade('1.31.2', '1.31.1', 'in-place')).toThrow(/older than the control plane's 1\.31\.2/);
    expect(() => judgeUpgrade('1.31.0', '1.30.8', 'canary')).toThrow(/upgrade goes forward/);
    expect(() => judgeUpgrade('1.31.0', '2.0.0', 'canary')).toThrow(/crosses a major/);
    expect(() => judgeUpgrade('latest', '1.31.0', 'canary')).toThrow(/not both Istio versions/);
    expect(judgeUpgrade('1.31.0', '1.31.2', 'in-place')).toEqual({ minors: 0 });
  });

  it('names the revision as Istio does: no dots', () => {
    expect(revisionForVersion('1.31.0')).toBe('1-31-0');
    expect(revisionForVersion('1.30-dev')).toBe('1-30-dev');
  });
});
