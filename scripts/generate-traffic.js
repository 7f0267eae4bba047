// Generates the sample traffic of every example: examples/<name>/traffic.jsonl, one request
// per line, deterministic (a fixed seed per example), shaped like production traffic: mostly
// short prompts with a long tail of documents, skewed tenants and users, a few requests that
// carry their own labels and a few malformed ones (a typo in a field name, an unknown enum
// member, a line cut off mid-write) so reports show what invalid traffic looks like.
//
//   node scripts/generate-traffic.js [--count N] [--only NAME]
//
// These generators are hand-tuned per example (intents with their typical openers, tenants
// that pay more). For any other policy, `routelang traffic POLICY` reads the fields, enums
// and thresholds from the policy itself.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from '../packages/dsl/dist/simulate/simulate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const WORDS = (
  'the customer account order invoice payment refund shipping delivery product service issue error report meeting ' +
  'quarter revenue growth team project deadline contract clause policy claim coverage premium patient dosage study ' +
  'result data table column value function module request response latency database query index cache server ' +
  'deploy build release version change update please could you would help me with this that about from for and ' +
  'but because when where which while after before during between across against through under over again still'
).split(' ');

/** Picks from weighted options: [[value, weight], ...]. */
function pick(random, options) {
  const total = options.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [value, w] of options) {
    r -= w;
    if (r < 0) return value;
  }
  return options[options.length - 1][0];
}

/** A prompt length in words: mostly short, a long tail of documents. */
function length(random, tail) {
  const band = pick(random, [
    ['short', 70],
    ['medium', 22],
    ['long', 6],
    ['document', tail ? 0.8 : 1],
    ['huge', tail ? 0.2 : 0],
  ]);
  // In words; these short words are about 1.1 tokens each.
  const [lo, hi] = { short: [6, 120], medium: [120, 700], long: [700, 3_000], document: [3_000, 12_000], huge: [30_000, 40_000] }[band];
  return Math.floor(lo + random() * (hi - lo));
}

function prompt(random, opener, tail = false) {
  const n = length(random, tail);
  const words = [opener];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]);
  return words.join(' ');
}

/** A skewed population: a few big tenants and a long tail (Zipf-like). */
function population(prefix, size, random) {
  const names = Array.from({ length: size }, (_, i) => `${prefix}-${i + 1}`);
  return () => names[Math.min(size - 1, Math.floor(size * random() ** 2.2))];
}

const INTENT_OPENERS = {
  chat: ['hi, quick question:', 'can you help me with', 'hello! I need', 'thanks, and also'],
  summarize: ['summarize this thread:', 'tl;dr of the following:', 'give me the key points of'],
  reason: ['prove that', 'explain step by step why', 'why does the'],
  code: ['write a function that', 'here is a stack trace:', 'refactor this module:', 'I get a compile error in'],
  extract: ['extract the dates from', 'pull out every amount in', 'list all the names in'],
};

const GENERATORS = {
  'support-assistant': (random) => {
    const tenant = population('tenant', 60, random);
    return () => {
      const intent = pick(random, [
        ['chat', 40],
        ['summarize', 22],
        ['code', 16],
        ['reason', 12],
        ['extract', 10],
      ]);
      const openers = INTENT_OPENERS[intent];
      const t = pick(random, [
        ['acme', 18],
        ['globex', 9],
        [null, 73],
      ]);
      const request = {
        prompt: prompt(random, openers[Math.floor(random() * openers.length)], true),
        tenant: t ?? tenant(),
        region: pick(random, [
          ['us', 70],
          ['eu', 30],
        ]),
      };
      if (random() < 0.05) request.pii = true;
      const risk = pick(random, [
        [null, 85],
        ['medium', 12],
        ['high', 3],
      ]);
      if (risk) request.risk = risk;
      // Most clients let the classifier decide; some send the label they already know.
      if (random() < 0.2) request.intent = intent;
      return request;
    };
  },
  'cost-cascade': (random) => () => ({
    prompt: prompt(
      random,
      pick(random, [
        ['please answer:', 1],
        ['draft a reply to', 1],
        ['help me with', 1],
      ]),
    ),
    tier: pick(random, [
      ['free', 60],
      ['pro', 30],
      ['enterprise', 10],
    ]),
  }),
  'confidence-escalation': (random) => {
    const tenant = population('tenant', 40, random);
    return () => {
      const domain = pick(random, [
        ['general', 70],
        ['finance', 12],
        ['medical', 10],
        ['legal', 8],
      ]);
      const request = { prompt: prompt(random, `a ${domain} question:`), tenant: tenant() };
      if (domain !== 'general' || random() < 0.5) request.domain = domain;
      return request;
    };
  },
  'tool-first': (random) => () => ({
    prompt: prompt(
      random,
      pick(random, [
        ['how do I', 2],
        ['where is my', 1],
        ['why was I charged', 1],
      ]),
    ),
    topic: pick(random, [
      ['faq', 45],
      ['billing', 25],
      ['other', 30],
    ]),
  }),
  reliability: (random) => () => ({
    prompt: prompt(random, 'process this:', true),
    interactive: random() < 0.7,
  }),
  governance: (random) => () => {
    const request = {
      prompt: prompt(random, 'case notes:', true),
      region: pick(random, [
        ['us', 60],
        ['eu', 40],
      ]),
      workflow: pick(random, [
        ['general', 70],
        ['claims', 20],
        ['underwriting', 10],
      ]),
    };
    if (random() < 0.1) request.pii = true;
    const risk = pick(random, [
      [null, 80],
      ['medium', 17],
      ['high', 3],
    ]);
    if (risk) request.risk = risk;
    return request;
  },
  gateway: (random) => {
    const tenant = population('tenant', 30, random);
    return () => {
      const intent = pick(random, [
        ['chat', 55],
        ['summarize', 25],
        ['code', 20],
      ]);
      const openers = INTENT_OPENERS[intent];
      const request = {
        prompt: prompt(random, openers[Math.floor(random() * openers.length)], true),
        tenant: random() < 0.03 ? 'vip' : tenant(),
        region: pick(random, [
          ['us', 65],
          ['eu', 35],
        ]),
      };
      if (random() < 0.06) request.pii = true;
      return request;
    };
  },
  rollout: (random) => {
    const user = population('user', 3_000, random);
    return () => {
      const code = random() < 0.2;
      const request = {
        prompt: prompt(
          random,
          code
            ? pick(
                random,
                INTENT_OPENERS.code.map((o) => [o, 1]),
              )
            : 'chat:',
        ),
        user: user(),
        topic: code ? 'code' : 'chat',
      };
      if (random() < 0.03) request.pii = true;
      return request;
    };
  },
  'ab-split': (random) => {
    const user = population('user', 2_000, random);
    return () => {
      const request = { prompt: prompt(random, 'chat:'), user: user() };
      if (random() < 0.05) request.canary = true;
      return request;
    };
  },
};

/** Damages about one request in 500 the way real logs are damaged. */
function damage(random, line) {
  const r = random();
  if (r < 0.001) return line.slice(0, Math.floor(line.length / 2)); // cut off mid-write
  if (r < 0.0015) return line.replace('"prompt"', '"promt"'); // a client's typo
  if (r < 0.002) return line.replace(/"(tier|topic|region|workflow|domain)":"[a-z]+"/, '"$1":"unknown"'); // an old enum member
  return line;
}

/** Writes one example's traffic (to `file`, by default examples/<name>/traffic.jsonl); returns the file. */
export function generateTraffic(name, count = 5_000, file = join(root, 'examples', name, 'traffic.jsonl')) {
  const make = GENERATORS[name];
  if (!make) throw new Error(`no traffic generator for ${name}`);
  // A seed per example, fixed: the same file on every machine.
  const seed = [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
  const random = seededRandom(seed);
  const next = make(random);
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(damage(random, JSON.stringify(next())));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export const EXAMPLES = Object.keys(GENERATORS);

const USAGE = `usage: node scripts/generate-traffic.js [--count N] [--only NAME]

Writes examples/<name>/traffic.jsonl for each bundled example (${Object.keys(GENERATORS).join(', ')}):
5,000 requests each by default, the same file on every machine.
  --count N     requests per example
  --only NAME   one example
For any other policy: routelang traffic POLICY [--count N] [--seed N] [-o FILE].`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let values;
  try {
    ({ values } = parseArgs({ options: { count: { type: 'string', default: '5000' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = Number(values.count);
  if (!Number.isSafeInteger(count) || count < 0) {
    console.error(`--count must be a whole number, not \`${values.count}\`\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.only && !GENERATORS[values.only]) {
    console.error(`no bundled example named \`${values.only}\`; for any policy use \`routelang traffic POLICY\`\n\n${USAGE}`);
    process.exit(2);
  }
  for (const name of values.only ? [values.only] : EXAMPLES) {
    const file = generateTraffic(name, count);
    console.log(`wrote ${file.slice(root.length + 1)}`);
  }
}
