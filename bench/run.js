// run() overhead: with an instant in-process adapter, the time run() adds per request
// beyond the adapter's own (median and p99), and the heap over 1,000,000 requests (no
// growth after warm-up). `pnpm bench`.

import { compilePolicy, nodeHost } from '../packages/dsl/dist/index.js';
import { Router } from '../packages/runtime/dist/index.js';

const POLICY = `policy overhead
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model big { provider = "b" id = "big" price = { input: $5 per 1M, output: $10 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  tier: enum { free, pro } = free
}
route {
  when tier == pro -> big with { retries: 1 } fallback mini
  otherwise -> mini fallback big
}
budget { per_request <= $1 }
`;

const path = '/virtual/overhead.route';
const { ir } = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
const reply = { text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } };
const adapter = async () => reply;
const router = await Router.load(ir, { tokenizer: (t) => t.length, adapters: { a: adapter, b: adapter } });
const requests = [{ prompt: 'hello' }, { prompt: 'summarize this', tier: 'pro' }];

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function sample(fn, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  return Array.from(times).sort((a, b) => a - b);
}

// Warm up, then time run() and the bare adapter call the same way.
await sample((i) => router.run(requests[i & 1]), 50_000);
const runTimes = await sample((i) => router.run(requests[i & 1]), 100_000);
const bareTimes = await sample(() => adapter(), 100_000);
const medianOverhead = percentile(runTimes, 50) - percentile(bareTimes, 50);
const p99Overhead = percentile(runTimes, 99) - percentile(bareTimes, 99);

// Memory: 1,000,000 requests in batches of 1,000 concurrent; heap after a GC at checkpoints.
const heap = [];
const checkpoints = new Set([100_000, 250_000, 500_000, 750_000, 1_000_000]);
for (let done = 0; done < 1_000_000; ) {
  await Promise.all(Array.from({ length: 1_000 }, (_, k) => router.run(requests[(done + k) & 1])));
  done += 1_000;
  if (checkpoints.has(done)) {
    globalThis.gc?.();
    heap.push({ requests: done, mb: process.memoryUsage().heapUsed / 1024 / 1024 });
  }
}

console.log(`run() overhead with an instant adapter (node ${process.version}), µs per request beyond the adapter's own time\n`);
console.log('| | median | p99 |');
console.log('| --- | ---: | ---: |');
console.log(`| run() | ${percentile(runTimes, 50).toFixed(2)} | ${percentile(runTimes, 99).toFixed(2)} |`);
console.log(`| bare adapter call | ${percentile(bareTimes, 50).toFixed(2)} | ${percentile(bareTimes, 99).toFixed(2)} |`);
console.log(`| **overhead** | **${medianOverhead.toFixed(2)}** | **${p99Overhead.toFixed(2)}** |`);
console.log('\nheap after a GC, over 1,000,000 requests (batches of 1,000 concurrent):\n');
console.log('| requests | heap MB |');
console.log('| ---: | ---: |');
for (const h of heap) console.log(`| ${h.requests.toLocaleString('en-US')} | ${h.mb.toFixed(1)} |`);
