// Runs the whole test suite with vitest and ends with the plain summary line
// "N passed, N failed[, N skipped]" that CI systems read. Extra arguments go to vitest
// (`pnpm test -u` rewrites golden files after a reviewed change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const report = join(mkdtempSync(join(tmpdir(), 'routelang-tests-')), 'report.json');
const vitest = join(process.cwd(), 'node_modules', '.bin', 'vitest');
const result = spawnSync(vitest, ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
} else {
  console.log('0 passed, 1 failed');
}
process.exit(result.status ?? 1);
