/** Builds the client and the bundled server into dist/. */
export function buildExtension(): Promise<void>;
