/** Builds the playground's static site into packages/playground/dist; resolves with the folder and its files. */
export function buildPlayground(options?: { minify?: boolean }): Promise<{ dist: string; files: string[] }>;
