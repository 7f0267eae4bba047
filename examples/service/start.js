// One command: `pnpm service` (or `node examples/service/start.js`) starts the fake upstream
// and the service, prints how to call it, and sends a few requests to show the routing.
// `--serve` keeps both running until Ctrl+C.
import { startFakeUpstream } from './fake-upstream.js';
import { startService } from './service.js';

const serve = process.argv.includes('--serve');
const upstream = await startFakeUpstream({ port: serve ? 8081 : 0 });
const service = await startService({ upstream: upstream.url, port: serve ? 8080 : 0 });
console.log(`fake upstream ${upstream.url}, service ${service.url} (policy support_assistant)\n`);

const samples = [
  { prompt: 'how do I reset my password?', tenant: 'initech' },
  { prompt: 'summarize this memo: the launch moves to May because the vendor slipped', tenant: 'initech' },
  { prompt: 'write a function that parses ISO dates', tenant: 'initech', region: 'us' },
  { prompt: 'my card number is 4111 1111 1111 1111, why was I charged twice?', tenant: 'acme', pii: true },
  { prompt: 'explain step by step why the cache misses', tenant: 'globex', risk: 'high' },
  { prompt: 'hello', tenant: 'initech', region: 'mars' },
];
for (const body of samples) {
  const response = await fetch(`${service.url}/v1/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const result = await response.json();
  const where = result.rule ? `line ${result.rule.line}${result.rule.label ? ` ("${result.rule.label}")` : ''}` : '';
  const outcome = result.text ? `${result.model ?? 'tool'} $${result.cost.toFixed(6)}` : result.errors ? `400 ${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` : JSON.stringify(result);
  console.log(`${response.status} ${JSON.stringify(body.prompt.slice(0, 48))} → ${outcome} ${where}`);
}
const metrics = await (await fetch(`${service.url}/v1/metrics`)).json();
console.log(`\nmetrics: ${JSON.stringify(metrics.models ?? metrics).slice(0, 300)}…`);

if (serve) {
  console.log(`\nserving; try: curl -s ${service.url}/v1/route -d '{"prompt":"summarize this","tenant":"acme"}'`);
} else {
  await service.close();
  await upstream.close();
}
