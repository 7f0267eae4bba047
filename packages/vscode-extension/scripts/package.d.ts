/** Builds dist/ and packs the .vsix (default: routelang.vsix in the package); returns its path. */
export function packageExtension(out?: string): Promise<string>;
