// `pnpm bench:state` (and part of `pnpm bench`): what shared state on Redis costs.
//
//   1. the latency a Redis-backed store adds to a budgeted run() (a reservation before the
//      call and a settlement after it: two round trips), against the in-process store, with
//      an instant in-process adapter so nothing else is measured: p50/p99 per run, rounds
//      interleaved;
//   2. gateway throughput with two `routelang serve` instances sharing one Redis against
//      one instance, each in its own process, in front of the fake upstream (autocannon).
//
// Starts Debian's redis-server (scripts/system-packages.sh installs it when missing) on a
// free port on 127.0.0.1. Environment: ROUTELANG_BENCH_SECONDS (each throughput run,
// default 10), ROUTELANG_BENCH_RUNS (runs per latency round, default 20,000).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { compilePolicy, nodeHost } from '../packages/dsl/dist/index.js';
import { redisState } from '../packages/redis/dist/index.js';
import { Router } from '../packages/runtime/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.ROUTELANG_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.ROUTELANG_BENCH_RUNS ?? 20_000);
const ROUNDS = 3;

const POLICY = `policy budgeted
input {
  prompt: text
  tenant: string
}
provider openai {
  protocol = openai
  base_url = "https://api.openai.invalid/v1"
}
model mini { provider = "openai" id = "gpt-mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 100 }
route {
  otherwise -> mini
}
budget { per_tenant <= $1000000 per day }
`;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves with the first match of `ready` on its output. */
function start(name, command, args, ready) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, match: m });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${out.slice(-500)}`)));
  });
}

execFileSync('bash', [join(root, 'scripts/system-packages.sh'), 'redis'], { stdio: ['ignore', 'ignore', 'inherit'] });
const redisPort = await freePort();
const redisDir = mkdtempSync(join(tmpdir(), 'routelang-bench-redis-'));
const redis = await start(
  'redis-server',
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
  /Ready to accept connections/,
);
const redisUrl = `redis://127.0.0.1:${redisPort}/0`;

// 1. run() with each store.
const path = '/virtual/budgeted.route';
const { ir } = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
const reply = { text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } };
const adapters = { openai: async () => reply };
const shared = redisState({ url: redisUrl, keyPrefix: 'bench:' });
await shared.ready(5_000);
const routers = {
  memory: await Router.load(ir, { tokenizer: (t) => t.length, adapters }),
  redis: await Router.load(ir, { tokenizer: (t) => t.length, adapters, state: shared }),
};

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function sample(router, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const result = await router.run({ prompt: 'hello', tenant: `t${i % 50}` });
    times[i] = Number(process.hrtime.bigint() - t) / 1000;
    if (!result.ok) throw new Error(`run failed: ${JSON.stringify(result)}`);
  }
  return Array.from(times).sort((a, b) => a - b);
}

const latency = { memory: [], redis: [] };
for (const router of Object.values(routers)) await sample(router, 2_000); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, router] of Object.entries(routers)) {
    const sorted = await sample(router, RUNS);
    latency[name].push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name) => ({ p50: median(latency[name].map((r) => r.p50)), p99: median(latency[name].map((r) => r.p99)) });
const mem = row('memory');
const red = row('redis');
console.log(`\nbudgeted run() with an instant adapter, ${RUNS.toLocaleString('en')} runs × ${ROUNDS} interleaved rounds (median of rounds, µs)\n`);
console.log('| state | p50 | p99 |');
console.log('|---|---:|---:|');
console.log(`| memory (in-process) | ${mem.p50.toFixed(1)} | ${mem.p99.toFixed(1)} |`);
console.log(`| Redis (localhost) | ${red.p50.toFixed(1)} | ${red.p99.toFixed(1)} |`);
console.log(`| **added by Redis** | **${(red.p50 - mem.p50).toFixed(1)}** | **${(red.p99 - mem.p99).toFixed(1)}** |`);
await shared.close();

// 2. Gateway throughput: one instance, then two, on one Redis.
const upstream = await start(
  'fake upstream',
  process.execPath,
  [
    '--input-type=module',
    '-e',
    "const { startFakeUpstream } = await import('./packages/gateway/dist/index.js'); const u = await startFakeUpstream(); console.log('UP ' + u.url);",
  ],
  /UP (\S+)/,
);
const policyFile = join(redisDir, 'budgeted.route');
execFileSync(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(policyFile)}, ${JSON.stringify(POLICY)})`]);
const serve = () =>
  start(
    'routelang serve',
    process.execPath,
    [
      'packages/dsl/bin/routelang.js',
      'serve',
      policyFile,
      '--port',
      '0',
      '--upstream',
      `openai=${upstream.match[1]}`,
      '--state',
      redisUrl,
      '--log',
      'none',
      '--no-watch',
    ],
    /listening on (\S+)/,
  );
const instances = [await serve(), await serve()];
const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }], metadata: { tenant: 'acme' } });
const load = (url, connections) =>
  autocannon({ url: `${url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: SECONDS });

await load(instances[0].match[1], 8); // warm-up
const one = [];
const two = [];
for (let round = 0; round < ROUNDS; round++) {
  const single = await load(instances[0].match[1], 32);
  one.push(single.requests.average);
  const pair = await Promise.all(instances.map((i) => load(i.match[1], 16)));
  two.push(pair[0].requests.average + pair[1].requests.average);
}
console.log(`\ngateway throughput with --state on one Redis, 32 connections, ${SECONDS} s × ${ROUNDS} interleaved rounds (median req/s)\n`);
console.log('| instances | req/s |');
console.log('|---|---:|');
console.log(`| 1 | ${Math.round(median(one)).toLocaleString('en')} |`);
console.log(`| 2 | ${Math.round(median(two)).toLocaleString('en')} |`);
console.log(
  `\n(one machine with ${(await import('node:os')).availableParallelism()} cores runs the load generator, the fake upstream, Redis and the gateways)`,
);

for (const p of [...instances, upstream, redis]) p.child.kill('SIGTERM');
rmSync(redisDir, { recursive: true, force: true });
process.exit(0);
