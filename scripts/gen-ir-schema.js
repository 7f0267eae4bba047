// Generates, from the zod schemas in packages/runtime/src/ir.ts (the one source of truth):
// - packages/runtime/ir.schema.json, the IR's JSON Schema;
// - packages/runtime/src/generated/validate-ir.js, a precompiled ajv validator, so the
//   runtime validates artifacts without generating code at run time.
// `pnpm gen-ir`; a test fails when either file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateIrArtifacts } from './ir-artifacts.js';

const { schemaJson, validatorJs, validatorDts } = generateIrArtifacts();
const root = new URL('../packages/runtime/', import.meta.url);
writeFileSync(new URL('ir.schema.json', root), schemaJson);
mkdirSync(new URL('src/generated/', root), { recursive: true });
writeFileSync(new URL('src/generated/validate-ir.js', root), validatorJs);
writeFileSync(new URL('src/generated/validate-ir.d.ts', root), validatorDts);
console.log('wrote packages/runtime/ir.schema.json and packages/runtime/src/generated/validate-ir.js');
