#!/usr/bin/env node
// helm's post-renderer for the release mesh install starts ahead of its preflight (Helm 3's
// `--post-renderer <node> --post-renderer-args <this file> --post-renderer-args <socket>`).
// helm runs it once it has rendered the chart with mesh's values, before it changes anything;
// it tells mesh so by connecting to mesh's socket, then holds the manifests until mesh answers
// "proceed" (the install is recorded and the lock held) and hands them back to helm unchanged.
// Any other end (mesh stopped the install, mesh died, the socket is gone) exits 1: helm then
// fails before writing anything. Plain JavaScript on Node's own modules: it starts in a few
// tens of milliseconds, on helm's way to its apply.
import { connect } from 'node:net';

const socketPath = process.argv[2];
const manifests = [];
let inputEnded = false;
let proceeding = false;
let finished = false;

const finish = (code, message) => {
  if (finished) return;
  finished = true;
  if (message) process.stderr.write(`${message}\n`);
  if (code === 0) process.stdout.write(Buffer.concat(manifests));
  process.exitCode = code;
};
const handBack = () => {
  if (proceeding && inputEnded) finish(0);
};

process.stdin.on('data', (chunk) => manifests.push(chunk));
process.stdin.on('end', () => {
  inputEnded = true;
  handBack();
});

if (!socketPath) finish(1, 'mesh helm-hold: no socket given; mesh runs this as helm post-renderer');
else {
  const socket = connect(socketPath);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    answer += text;
    if (answer.startsWith('proceed\n')) {
      proceeding = true;
      socket.end();
      handBack();
    }
  });
  socket.on('error', (error) => finish(1, `mesh stopped this install before helm changed anything (${error.code ?? error.message})`));
  socket.on('close', () => {
    if (!proceeding) finish(1, 'mesh stopped this install before helm changed anything');
  });
}
