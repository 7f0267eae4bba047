/** Serves a folder on 127.0.0.1 (`port` 0: a free one); resolves with its URL and a close function. */
export function serveStatic(dir: string, port?: number): Promise<{ url: string; close: () => Promise<void> }>;
