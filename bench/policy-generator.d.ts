/** A realistic multi-tenant policy of about `lines` lines (deterministic). */
export function generateLargePolicy(lines: number): string;
