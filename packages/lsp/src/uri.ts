// File URIs and paths. The server names files by absolute path internally (as the compiler
// does) and by `file://` URI on the wire. Written without `node:url` so the browser build
// shares it.

/** The absolute path of a `file://` URI, or undefined for other schemes. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  let rest = uri.slice('file://'.length);
  // `file://host/path` names a host; only local files (empty host or localhost) are served.
  if (rest.startsWith('localhost/')) rest = rest.slice('localhost'.length);
  if (!rest.startsWith('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/** The `file://` URI of an absolute path, percent-encoding what URIs do not allow. */
export function pathToUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `file://${encoded.startsWith('/') ? '' : '/'}${encoded}`;
}
