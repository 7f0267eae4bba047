/** An atom of a generated rule: [field, operator, value]; operator is ==, !=, in, <, >, is. */
export type Atom = [string, string, string | number | boolean | string[]];
/** A generated rule: all atoms hold → model. An empty list is `otherwise`. */
export interface GeneratedRule {
  all: Atom[];
  model: string;
}
export const INTENTS: string[];
/** The 11-rule support policy. */
export function supportRules(): GeneratedRule[];
/** `n` generated multi-tenant rules (plus `otherwise`). */
export function tenantRules(n: number): GeneratedRule[];
/** The rules as a Routelang policy. */
export function routelangText(rules: GeneratedRule[]): string;
