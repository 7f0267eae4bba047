/** Writes one example's traffic (to `file`, by default examples/<name>/traffic.jsonl); returns the file. */
export function generateTraffic(name: string, count?: number, file?: string): string;
/** The examples that have a traffic generator. */
export const EXAMPLES: readonly string[];
