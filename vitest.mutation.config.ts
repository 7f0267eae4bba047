// The vitest configuration of `pnpm mutation` (scripts/mutation.js): only the test files
// the driver lists for the file being mutated, so each mutant runs the tests that matter.
import { defineConfig } from 'vitest/config';

const tests = (process.env.ROUTELANG_MUTATION_TESTS ?? '').split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ['packages/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
