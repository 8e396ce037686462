/**
 * The install lock's name and lifetime, apart from the code that takes it: plans name the lock
 * without loading the Kubernetes client, so `--dry-run` stays a pure, fast render.
 */
export const LOCK_NAME = 'mesh-lock';
/** How long a lock lives without renewal: a dead run blocks others this long at most. */
export const LOCK_SECONDS = 30;
