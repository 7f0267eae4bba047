// `@routelang/dsl/import`: the LiteLLM and Portkey importers, apart from the main entry so
// that hosts of the compiler (the language server, the playground) do not bundle a YAML parser.

export type { ImportNote, ImportResult } from './import/common.js';
export { importLiteLLM, type LiteLLMImport } from './import/litellm.js';
export { importPortkey, type PortkeyImport, toRoutelangRequest } from './import/portkey.js';
