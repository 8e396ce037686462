import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { changeSignal } from '../../src/verify/wait.js';

/** verify --wait's wake-ups, on fake timers: a change is reported once, and only a change ends a wait early. */
describe('change signal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settle = async <T>(p: Promise<T>, ms: number) => {
    let value: T | undefined;
    let done = false;
    void p.then((v) => ((value = v), (done = true)));
    await vi.advanceTimersByTimeAsync(ms);
    return { done, value };
  };

  it('reports a burst of changes once, after it settles', async () => {
    const s = changeSignal();
    s.notify();
    s.notify();
    expect(await settle(s.next(10_000), 250)).toEqual({ done: true, value: true });
    // nothing new: the next wait runs to its timeout
    expect(await settle(s.next(1_000), 999)).toEqual({ done: false, value: undefined });
  });

  it('a debounce left from a change already consumed does not end the next wait (the verify --wait early exit)', async () => {
    const s = changeSignal();
    s.notify();
    // a change is pending: the wait settles for 200 ms, and another event arrives meanwhile,
    // arming a debounce that outlives the wait which consumes both
    const first = s.next(10_000);
    await vi.advanceTimersByTimeAsync(100);
    s.notify();
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBe(true);
    const second = s.next(5_000);
    // the stale debounce fires here: the wait must go on
    expect(await settle(second, 1_000)).toEqual({ done: false, value: undefined });
    s.notify();
    expect(await settle(second, 250)).toEqual({ done: true, value: true });
  });

  it('a wait with no time left is over at once', async () => {
    expect(await changeSignal().next(0)).toBe(false);
  });
});
