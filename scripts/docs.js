// Writes the generated documentation: docs/diagnostics.md from the diagnostic catalogue.
import { writeFileSync } from 'node:fs';
import { diagnosticsMarkdown } from '../packages/dsl/dist/docs.js';

writeFileSync(new URL('../docs/diagnostics.md', import.meta.url), diagnosticsMarkdown());
console.log('wrote docs/diagnostics.md');
