import { createServer, type Server, type Socket } from 'node:net';
// Not exported from the package index; the package has no exports map, so its module is imported by path.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { CliError, ExitCode } from '../errors.js';
import { loadKubeConfig, type KubeTarget } from './kube.js';

/** The WebSocket client-node returns (typed by `ws`, which the lint cannot see): closing is all mesh does with it. */
interface Closable {
  close(): void;
}

export interface Forwarding {
  /** The local address and port actually bound (port 0 asks for any free one). */
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A local listener whose every connection is forwarded to a pod's port through the API server
 * (pods/portforward, over a WebSocket, as kubectl port-forward does), from mesh itself: no kubectl.
 */
export async function forwardToPod(
  target: KubeTarget,
  pod: { namespace: string; name: string; port: number },
  local: { address: string; port: number },
  onError: (message: string) => void,
): Promise<Forwarding> {
  // client-node's WebSocket handler (the kubeconfig's TLS and credentials) with the port-forward
  // protocol on top: its PortForward class would pull client-node's whole generated API into the
  // chunk every cluster command loads.
  const handler = new WebSocketHandler(loadKubeConfig(target));
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/portforward?ports=${pod.port}`;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Stream 0 carries the data, stream 1 the pod's errors; each starts with the port number (2 bytes).
    const portPrefixPending = [true, true];
    handler
      .connect(path, null, (stream, data) => {
        let payload = data;
        if (portPrefixPending[stream]) {
          payload = payload.subarray(2);
          portPrefixPending[stream] = false;
        }
        if (stream === 0) socket.write(payload);
        else if (stream === 1 && payload.length)
          onError(`pod ${pod.namespace}/${pod.name}:${pod.port}: ${payload.toString('utf8').trim()}`);
        return true;
      })
      .then(
        (opened) => {
          const ws = opened as unknown as Closable;
          WebSocketHandler.handleStandardInput(opened, socket, 0);
          socket.on('close', () => ws.close());
        },
        (error: unknown) => {
          onError(
            `forwarding to pod ${pod.namespace}/${pod.name}:${pod.port} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          socket.destroy();
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `--port ${local.port}: ${local.address}:${local.port} is in use`,
              ExitCode.usage,
              'pick another with --port, or --port 0 for any free one',
            )
          : error.code === 'EADDRNOTAVAIL'
            ? new CliError(
                `--address ${local.address}: not an address of this machine`,
                ExitCode.usage,
                'use 127.0.0.1 (the default) or one of its addresses',
              )
            : error,
      ),
    );
    server.listen(local.port, local.address, resolve);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : local.port;
  return {
    address: local.address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
