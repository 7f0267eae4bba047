// `pnpm serve`: the gateway on the bundled example policy (examples/gateway/policy.route),
// or on POLICY, in front of a fake upstream that speaks OpenAI's and Anthropic's protocols
// and echoes the last user message — so `curl` or any OpenAI SDK works against it within a
// minute, with no key and no network: every provider the policy declares is pointed at the
// fake upstream. PORT (default 8080) sets the gateway's port; Ctrl+C stops both.

import { main } from '../packages/dsl/dist/cli/main.js';
import { compilePolicy } from '../packages/dsl/dist/index.js';
import { startFakeUpstream } from '../packages/gateway/dist/index.js';

const port = process.env.PORT ?? '8080';
const policy = process.env.POLICY ?? 'examples/gateway/policy.route';
const declared = compilePolicy(policy).ir?.providers?.map((p) => p.name) ?? [];
const providers = [...new Set(['openai', 'anthropic', 'vllm', ...declared])];
const upstream = await startFakeUpstream({ port: 0 });
const base = `http://127.0.0.1:${port}`;
console.error(`fake upstream (OpenAI and Anthropic protocols) at ${upstream.url}
try:
  curl -s ${base}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"auto","messages":[{"role":"user","content":"write a function that parses dates"}]}'
  curl -sN ${base}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"auto","stream":true,"messages":[{"role":"user","content":"hello"}],"metadata":{"pii":"true"}}'
  curl -s ${base}/v1/route/explain -d '{"model":"auto","messages":[{"role":"user","content":"summarize this"}],"metadata":{"region":"eu"}}'
  curl -s ${base}/metrics | grep routelang_requests_total
  open ${base}/dashboard/ in a browser (live requests, cost, latency per model and rule)
or point an OpenAI SDK at ${base}/v1 (model "auto"). Decision log below (JSON lines).
`);
const code = await main(['serve', policy, '--port', port, '--dashboard', ...providers.flatMap((p) => ['--upstream', `${p}=${upstream.url}`])]);
await upstream.close();
process.exit(code);
