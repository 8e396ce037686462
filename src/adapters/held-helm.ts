import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { RunResult } from './tool-run.js';
import { spawnTool } from './held-process.js';
import { packageFile } from './package-files.js';

/**
 * Where a held helm stands: its chart rendered (its post-renderer waiting on mesh), exited before
 * that, or not held at all because mesh could not listen for its post-renderer (helm stopped).
 */
export type HeldHelmState = { rendered: true } | { rendered: false; result: RunResult } | { rendered: false; unheld: string };

/**
 * A `helm upgrade --install` started ahead of mesh's preflight and held after its render: what
 * istioctl's prompt is to the istioctl backend (held-install.ts). helm reads the cluster and renders
 * the chart with mesh's values before it writes anything, and hands the render to its post-renderer
 * (bin/helm-hold.js) first; that program tells mesh it was called and holds the manifests until
 * mesh says proceed. So helm's own render is the values check, paid once and beside mesh's checks.
 */
export interface HeldHelmRun {
  /** helm's arguments, and the command line, for --verbose and errors. */
  readonly argv: string[];
  readonly commandLine: string;
  /** Settles when helm has rendered, or when it exits before (ToolNotFoundError if it is not there). */
  readonly reached: Promise<HeldHelmState>;
  /** Lets helm apply its render; its outcome. */
  proceed(): Promise<RunResult>;
  /** Stops helm before it changes anything (its post-renderer told to fail, helm killed); settles when it has exited. */
  cancel(): Promise<void>;
}

/** How long a held helm told no may take to fail and exit before it is killed. */
const CANCEL_GRACE_MS = 2000;

/** Unix sockets' path limit (sun_path) on Linux is 108 bytes, on macOS 104. */
const SOCKET_PATH_MAX = 100;

/** The flags that make helm hand its render to bin/helm-hold.js, which connects to `socketPath`. */
export function holdFlags(socketPath: string): string[] {
  return [
    '--post-renderer',
    process.execPath,
    '--post-renderer-args',
    packageFile('bin', 'helm-hold.js'),
    '--post-renderer-args',
    socketPath,
  ];
}

/** Where the hold's socket goes in the run's private directory, if the path is short enough for a socket. */
export function holdSocketPath(privateDir: string): string | undefined {
  const path = join(privateDir, 'helm-hold.sock');
  return Buffer.byteLength(path) <= SOCKET_PATH_MAX ? path : undefined;
}

/**
 * Starts `helm <argv>` (an `upgrade --install` with holdFlags(socketPath) in it) and listens on
 * `socketPath` (in the run's private directory, 0700) for its post-renderer.
 */
export function startHeldHelm(helm: string, argv: string[], socketPath: string): HeldHelmRun {
  let postRenderer: Socket | undefined;
  let proceeded = false;
  const server = createServer({ allowHalfOpen: false });
  const rendered = new Promise<HeldHelmState>((resolve) => {
    server.once('connection', (socket) => {
      postRenderer = socket;
      // Only the first caller is helm's; the directory is private, but no second one is heard.
      server.close();
      socket.on('error', () => undefined);
      resolve({ rendered: true });
    });
  });
  let listenError: Error | undefined;
  server.once('error', (error) => {
    // A socket mesh cannot listen on is no verdict on helm's render: helm is stopped, the hold given up.
    listenError = error;
    child.kill('SIGKILL');
  });
  server.listen(socketPath);

  // Held, helm has changed nothing: a mesh that exits kills it outright. It reads no input.
  const spawned = spawnTool(helm, argv, 'SIGKILL');
  const { child } = spawned;
  child.stdin.on('error', () => undefined);
  child.stdin.end();
  const done = spawned.done.finally(() => server.close());
  const reached = Promise.race([
    rendered,
    done.then((result): HeldHelmState => (listenError ? { rendered: false, unheld: listenError.message } : { rendered: false, result })),
  ]);
  reached.catch(() => undefined);
  return {
    argv,
    commandLine: [helm, ...argv].join(' '),
    reached,
    proceed: () => {
      proceeded = true;
      postRenderer?.end('proceed\n');
      return done;
    },
    cancel: async () => {
      if (!proceeded) {
        // Before mesh's answer helm has written nothing (it reads and renders, then holds at its
        // post-renderer), so it may be stopped wherever it is. Held, it is told no: its
        // post-renderer fails, and helm, which waits for that program, exits after it, so neither
        // outlives mesh. Still rendering, it is killed (its post-renderer, if it is just starting,
        // finds no one listening and fails as well).
        server.close();
        if (postRenderer) {
          postRenderer.destroy();
          const killLater = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
          void done.finally(() => clearTimeout(killLater)).catch(() => undefined);
        } else child.kill('SIGKILL');
      }
      await done.then(
        () => undefined,
        () => undefined,
      );
    },
  };
}
