#!/usr/bin/env node
// A Helm chart repository served from a directory on loopback, for bench:install's CHART_REPO=1:
// `node chart-repo-server.mjs <dir> <log>` prints its URL on stdout, appends each requested path
// to <log> (so the bench counts what helm downloaded), and answers after DELAY_MS (default 0),
// which stands for a network between the user and the repository. It runs as a process of its own
// because the bench times its runs with spawnSync, which would block a server in its own loop.
import { appendFileSync, createReadStream, existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const [dir, log] = process.argv.slice(2);
const delayMs = Number(process.env.DELAY_MS ?? 0);
const server = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  appendFileSync(log, `${path}\n`);
  const file = join(dir, path);
  setTimeout(() => {
    if (!path.includes('..') && existsSync(file)) createReadStream(file).pipe(res);
    else res.writeHead(404).end();
  }, delayMs);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
