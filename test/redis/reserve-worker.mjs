// One of the two processes of the concurrent-reservation test: makes COUNT reservations of
// $1 at once against a limit, then settles each granted one to $0.5, and prints how many
// it was granted. Run by test/redis.test.ts with the built @routelang/redis.
import { redisState } from '@routelang/redis';

const [url, key, count, limit] = process.argv.slice(2);
const state = redisState({ url, timeoutMs: 5_000 });
if (!(await state.ready(5_000))) {
  console.error('not connected');
  process.exit(1);
}
// Both processes start their burst at the same moment (the parent writes a line to stdin).
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.all(Array.from({ length: Number(count) }, () => state.reserve(key, 1, Number(limit), 60_000)));
const granted = results.filter((r) => r !== undefined);
await Promise.all(granted.map((r) => r.settle(0.5)));
console.log(JSON.stringify({ granted: granted.length, pending: state.pending }));
await state.close();
