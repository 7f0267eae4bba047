// Generates a realistic multi-tenant policy of about `lines` lines: a model catalogue,
// an input block, a large first-match route, assertions and tests. Deterministic.

/** @param {number} lines @returns {string} */
export function generateLargePolicy(lines) {
  const out = ['policy generated version "bench"', '', 'enum Risk { low, medium, high }', ''];
  out.push(
    'input {',
    '  prompt: text',
    '  tenant: string',
    '  intent: enum { chat, summarize, reason, code, extract } = chat',
    '  risk: Risk = low',
    '  pii: bool = false',
    '  region: enum { us, eu } = us',
    '}',
    '',
  );
  const modelCount = Math.max(4, Math.round(lines / 60));
  for (let i = 0; i < modelCount; i++) {
    out.push(
      `model m${i} {`,
      `  provider   = "${i % 3 === 0 ? 'openai' : i % 3 === 1 ? 'anthropic' : 'vllm'}"`,
      `  id         = "model-${i}"`,
      `  price      = { input: $${(i % 7) + 0.15} per 1M, output: $${(i % 7) * 4 + 0.6} per 1M }`,
      `  context    = ${[32, 128, 200][i % 3]}k`,
      `  max_output = 4k`,
      `  deployment = ${i % 5 === 0 ? 'on_prem' : 'cloud'}`,
      '  regions    = [us, eu]',
      '  tags       = [approved]',
      '}',
      '',
    );
  }
  out.push('validator quality = extern "quality_score"', '');
  out.push('route {');
  const intents = ['chat', 'summarize', 'reason', 'code', 'extract'];
  let rule = 0;
  // Rules take the bulk of the file: leave room for the tail (asserts and tests).
  while (out.length < lines - 12) {
    const t = rule % 997;
    const m = rule % modelCount;
    const n = (rule * 7 + 3) % modelCount;
    const intent = intents[rule % intents.length];
    switch (rule % 4) {
      case 0:
        out.push(`  when tenant == "t${t}" and intent == ${intent} -> m${m} fallback m${n}`);
        break;
      case 1:
        out.push(`  when tenant in ["t${t}", "u${t}"] and prompt.tokens < ${(rule % 30) + 1}k -> m${m} with { timeout: ${(rule % 20) + 1}s }`);
        break;
      case 2:
        out.push(`  when risk == high and region == eu and tenant == "v${t}" -> cascade [m${m}, m${n}] until quality >= 0.8`);
        break;
      default:
        out.push(`  when not pii and prompt contains "w${t}" -> split by tenant { m${m}: 50%, m${n}: 50% }`);
    }
    rule++;
  }
  out.push('  otherwise -> m0', '}', '');
  out.push('assert "approved": approved in model.tags', '');
  out.push('test "default" {', '  given { prompt: "hello", tenant: "nobody" }', '  expect m0', '}');
  return `${out.join('\n')}\n`;
}
