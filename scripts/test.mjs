#!/usr/bin/env node
// Runs vitest with the given arguments and ends with one plain summary line
// ("N passed, N failed, N skipped") that any CI log reader understands; exits with vitest's code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'mesh-vitest-'));
const reportPath = join(dir, 'report.json');
const result = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let code = result.status ?? 1;
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  process.stdout.write(
    `\n${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped\n`,
  );
  if (report.numTotalTests === 0) code = code || 1;
} catch {
  process.stdout.write('\n0 passed, 1 failed\n');
  code = code || 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
