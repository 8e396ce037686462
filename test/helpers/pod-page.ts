import { podPageSink, type PodPage } from '../../src/adapters/pod-list.js';

/**
 * A pod page's body fed to mesh's reader as the network would, `chunk` bytes at a time: the page,
 * and how many bytes had been written when its continue token was heard.
 */
export function readPodPage(body: Buffer, contentType: string | undefined, chunk = body.length): { page: PodPage; tokenAfter: number } {
  let written = 0;
  let tokenAfter = -1;
  const sink = podPageSink(contentType, () => {
    if (tokenAfter < 0) tokenAfter = written;
  });
  for (let at = 0; at < body.length; at += chunk) {
    written = Math.min(body.length, at + chunk);
    sink.write(body.subarray(at, at + chunk));
  }
  return { page: sink.end(), tokenAfter };
}
