// The IR's JSON Schema and the precompiled validator are generated from the zod schemas;
// the committed files must be exactly what the generator produces (run `pnpm gen-ir`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateIrArtifacts } from '../scripts/ir-artifacts.js';
import { ROOT } from './support/fixtures.js';

describe('generated IR artifacts', () => {
  const { schemaJson, validatorJs, validatorDts } = generateIrArtifacts();
  it('ir.schema.json is current', () => {
    expect(readFileSync(join(ROOT, 'packages/runtime/ir.schema.json'), 'utf8')).toBe(schemaJson);
  });
  it('the precompiled validator is current', () => {
    expect(readFileSync(join(ROOT, 'packages/runtime/src/generated/validate-ir.js'), 'utf8')).toBe(validatorJs);
    expect(readFileSync(join(ROOT, 'packages/runtime/src/generated/validate-ir.d.ts'), 'utf8')).toBe(validatorDts);
  });
});
