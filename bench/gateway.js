// `pnpm bench:gateway`: the latency `routelang serve` adds, side by side with Portkey's
// gateway (@portkey-ai/gateway, started from npm) in front of the same fake upstream, in one
// run. Each server runs in its own process; this process only drives load.
//
//   added latency p50/p99 at one connection, and at a fixed 200 requests/s (open loop);
//   throughput at saturation (autocannon, 32 connections) and CPU per request;
//   time to first token for streams (against the direct upstream: Portkey's streaming
//   fails as installed from npm, its issues #1389 and #1550);
//   the gateway's memory (RSS) over ROUTELANG_BENCH_REQUESTS requests (default 1,000,000).
//
// Environment: ROUTELANG_BENCH_SECONDS (each measurement, default 10),
// ROUTELANG_BENCH_REQUESTS (the memory run, default 1,000,000; 0 skips it).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.ROUTELANG_BENCH_SECONDS ?? 10);
const MEMORY_REQUESTS = Number(process.env.ROUTELANG_BENCH_REQUESTS ?? 1_000_000);

/** Starts a process and resolves with the first match of `ready` on its output. */
function start(name, args, ready, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const m = ready.exec(out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''));
      if (m) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, match: m, pid: child.pid });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${out.slice(-500)}`)));
  });
}

// Streams send a piece every 2 ms, so the first token is told apart from the last.
const upstream = await start(
  'fake upstream',
  [
    '--input-type=module',
    '-e',
    "const { startFakeUpstream } = await import('./packages/gateway/dist/index.js'); const u = await startFakeUpstream({ defaultBehaviour: { kind: 'echo', chunkDelayMs: 2 } }); console.log('UP ' + u.url);",
  ],
  /UP (\S+)/,
);
const upstreamUrl = upstream.match[1];
const routelang = await start(
  'routelang serve',
  [
    'packages/dsl/bin/routelang.js',
    'serve',
    'examples/gateway/policy.route',
    '--port',
    '0',
    '--log',
    'none',
    '--no-watch',
    ...['openai', 'anthropic', 'vllm'].flatMap((p) => ['--upstream', `${p}=${upstreamUrl}`]),
  ],
  /listening on (\S+)/,
);
const portkeyPort = 20_000 + Math.floor(Math.random() * 20_000);
const portkey = await start(
  'portkey',
  [join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${portkeyPort}`, '--headless'],
  /Ready for connections/,
);

// The direct upstream and Portkey get the upstream's model id; Routelang runs its policy (`auto`).
const body = (stream, model = 'gpt-4o-mini') =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there, how are you today?' }], ...(stream ? { stream: true } : {}) });
const targets = {
  direct: { url: `${upstreamUrl}/chat/completions`, headers: {} },
  routelang: { url: `${routelang.match[1]}/v1/chat/completions`, headers: {}, pid: routelang.pid },
  portkey: {
    url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
    headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl, authorization: 'Bearer unused' },
    pid: portkey.pid,
  },
};
for (const [name, t] of Object.entries(targets)) {
  t.model = name === 'routelang' ? 'auto' : 'gpt-4o-mini';
  t.body = body(false, t.model);
  t.headers = { 'content-type': 'application/json', ...t.headers };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One request; resolves with [ms to the whole answer, ms to the first text of the answer]. */
function send(target, payload = target.body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first;
    let seen = '';
    const req = request(target.url, { method: 'POST', agent, headers: target.headers }, (res) => {
      res.on('data', (d) => {
        if (first) return;
        seen += d.toString();
        // The first chunk whose delta carries text (not the role chunk's empty content).
        if (/"content":"[^"]/.test(seen)) first = process.hrtime.bigint();
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${target.url}: HTTP ${res.statusCode}`));
        const end = process.hrtime.bigint();
        resolve([Number(end - started) / 1e6, Number((first ?? end) - started) / 1e6]);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), n: s.length };
};

async function closedLoop(target, seconds, pick = 0, payload) {
  const samples = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) samples.push((await send(target, payload))[pick]);
  return summary(samples);
}

async function openLoop(target, rate, seconds) {
  const samples = [];
  const pending = [];
  const interval = 1000 / rate;
  const begin = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = begin + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(target).then(([ms]) => samples.push(ms)));
  }
  await Promise.all(pending);
  return summary(samples);
}

function cpuSeconds(pid) {
  if (!pid) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, in clock ticks of 10 ms
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function saturate(target, seconds) {
  const cpu = cpuSeconds(target.pid);
  const result = await autocannon({ url: target.url, method: 'POST', headers: target.headers, body: target.body, connections: 32, duration: seconds });
  const requests = result.requests.total;
  return {
    rps: result.requests.average,
    errors: result.errors + result.non2xx,
    cpuMsPerRequest: ((cpuSeconds(target.pid) - cpu) * 1000) / Math.max(1, requests),
  };
}

const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
const rows = [];
console.error(`warming up (${SECONDS}s measurements)…`);
for (const t of Object.values(targets)) await closedLoop(t, 2);

// Each measurement is taken in ROUNDS rounds that visit the targets in turn, and the median
// round is kept: on a shared 2-core machine one long run per target mostly measures which
// target ran while something else was busy.
const ROUNDS = 3;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function rounds(measure, fields) {
  const seen = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, t] of Object.entries(targets)) seen[name].push(await measure(t));
  return Object.fromEntries(Object.entries(seen).map(([n, list]) => [n, Object.fromEntries(fields.map((f) => [f, median(list.map((x) => x[f]))]))]));
}
const one = await rounds((t) => closedLoop(t, SECONDS / ROUNDS), ['p50', 'p99']);
const fixed = await rounds((t) => openLoop(t, 200, SECONDS / ROUNDS), ['p50', 'p99']);
const saturated = await rounds((t) => saturate(t, SECONDS / ROUNDS), ['rps', 'cpuMsPerRequest', 'errors']);
const ttft = { direct: [], routelang: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of ['direct', 'routelang']) ttft[name].push(await closedLoop(targets[name], SECONDS / ROUNDS, 1, body(true, targets[name].model)));
}
for (const name of ['direct', 'routelang']) ttft[name] = { p50: median(ttft[name].map((x) => x.p50)), p99: median(ttft[name].map((x) => x.p99)) };

for (const name of ['routelang', 'portkey']) {
  rows.push(
    `| ${name} | ${fmt(one[name].p50 - one.direct.p50)} | ${fmt(one[name].p99 - one.direct.p99)} | ${fmt(fixed[name].p50 - fixed.direct.p50)} | ${fmt(fixed[name].p99 - fixed.direct.p99)} | ${Math.round(saturated[name].rps)} | ${saturated[name].cpuMsPerRequest.toFixed(3)} | ${saturated[name].errors} |`,
  );
}
console.log(
  `gateway benchmark: ${SECONDS}s per measurement (median of ${ROUNDS} interleaved rounds), Node ${process.version}, fake upstream in its own process`,
);
console.log(
  `direct upstream: one connection p50 ${fmt(one.direct.p50)} ms p99 ${fmt(one.direct.p99)} ms; 200 req/s p50 ${fmt(fixed.direct.p50)} ms p99 ${fmt(fixed.direct.p99)} ms; saturation ${Math.round(saturated.direct.rps)} req/s\n`,
);
console.log(
  '| gateway | added p50, 1 conn (ms) | added p99, 1 conn (ms) | added p50, 200 req/s (ms) | added p99, 200 req/s (ms) | saturation (req/s) | gateway CPU per request (ms) | errors |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
console.log(`\nthroughput at saturation, routelang ÷ portkey: ${(saturated.routelang.rps / saturated.portkey.rps).toFixed(1)}×`);
console.log(
  `time to first token (streams, one connection): direct p50 ${fmt(ttft.direct.p50)} ms, routelang p50 ${fmt(ttft.routelang.p50)} ms (added ${fmt(ttft.routelang.p50 - ttft.direct.p50)} ms), p99 added ${fmt(ttft.routelang.p99 - ttft.direct.p99)} ms`,
);

if (MEMORY_REQUESTS > 0) {
  const marks = [];
  const step = Math.max(1, Math.floor(MEMORY_REQUESTS / 10));
  let done = 0;
  marks.push([0, rssMb(routelang.pid)]);
  while (done < MEMORY_REQUESTS) {
    const n = Math.min(step, MEMORY_REQUESTS - done);
    await autocannon({
      url: targets.routelang.url,
      method: 'POST',
      headers: targets.routelang.headers,
      body: targets.routelang.body,
      connections: 32,
      amount: n,
    });
    done += n;
    marks.push([done, rssMb(routelang.pid)]);
  }
  console.log(
    `\nroutelang serve RSS over ${MEMORY_REQUESTS.toLocaleString('en-US')} requests: ${marks.map(([n, mb]) => `${(n / 1000).toFixed(0)}k ${mb.toFixed(0)} MB`).join(', ')}`,
  );
}

for (const p of [routelang, portkey, upstream]) p.child.kill('SIGKILL');
agent.destroy();
