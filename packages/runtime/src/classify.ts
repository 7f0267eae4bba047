// The built-in lexical classifier (language.md §3): deterministic, no model involved.
// The text is lower-cased; each label scores one point per example phrase it contains;
// the label with the most points wins (ties go to the label declared first); with no
// point at all, the default label. Runs only when the caller did not supply the field.

import type { Classifier } from './ir.js';

/** A host classifier for `classifier NAME on FIELD = extern "name"`. */
export type ExternClassifier = (text: string) => string;

export function classifyLexically(classifier: Classifier, text: string): string | undefined {
  const lower = text.toLowerCase();
  let best: string | undefined;
  let bestScore = 0;
  for (const { label, examples } of classifier.labels) {
    let score = 0;
    for (const example of examples) if (lower.includes(example.toLowerCase())) score++;
    if (score > bestScore) {
      best = label;
      bestScore = score;
    }
  }
  return best ?? classifier.default;
}
