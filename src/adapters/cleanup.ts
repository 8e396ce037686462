/**
 * What must still happen when mesh is interrupted (Ctrl-C, SIGTERM): main() runs these before it
 * exits 130, so a lock is released and private temp files are removed even then. A SIGKILL runs
 * nothing; the next run sweeps up after it (see tempfiles.ts) and a dead lock expires.
 */
type Cleanup = () => Promise<void> | void;
const cleanups = new Set<Cleanup>();

/** Registers a cleanup; the returned function unregisters it (call it once the work is done). */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup, newest first, giving them at most `budgetMs` together. */
export async function runInterruptCleanups(budgetMs = 3000): Promise<void> {
  const all = [...cleanups].reverse();
  cleanups.clear();
  const work = (async () => {
    for (const cleanup of all) {
      try {
        await cleanup();
      } catch {
        /* best effort: the process is going away */
      }
    }
  })();
  await Promise.race([work, new Promise((resolve) => setTimeout(resolve, budgetMs).unref())]);
}

/**
 * A command that runs until Ctrl-C (a dashboard's port-forward) ends normally on it: main() then
 * runs the cleanups and exits 0 with `message`, instead of reporting an interrupted change.
 */
let normalEnd: string | undefined;
export const endsOnInterrupt = (message: string): void => {
  normalEnd = message;
};
export const interruptEndsNormally = (): string | undefined => normalEnd;
