// The multi-tenant policies of `bench/decide.js` and the compile-scaling guard
// (test/compile-scaling.test.ts): rules as data, rendered as Routelang. Deterministic.

export const INTENTS = ['chat', 'summarize', 'reason', 'code', 'extract'];
const FIELDS = `input {
  tenant: string
  intent: enum { ${INTENTS.join(', ')} } = chat
  risk:   enum { low, medium, high } = low
  pii:    bool = false
  region: enum { us, eu } = us
  tokens: tokens = 0
  tier:   enum { free, pro, enterprise } = free
}`;

/** The 11-rule support policy. Atoms: [field, op, value]; op is ==, !=, in, <, >, is. */
export function supportRules() {
  return [
    { all: [['pii', 'is', true]], model: 'local' },
    { all: [['risk', '==', 'high']], model: 'frontier' },
    {
      all: [
        ['intent', '==', 'code'],
        ['region', '==', 'us'],
      ],
      model: 'coder',
    },
    { all: [['intent', '==', 'code']], model: 'sonnet' },
    {
      all: [
        ['intent', '==', 'summarize'],
        ['tokens', '<', 8000],
      ],
      model: 'mini',
    },
    {
      all: [
        ['intent', '==', 'reason'],
        ['tier', '==', 'enterprise'],
      ],
      model: 'frontier',
    },
    { all: [['intent', '==', 'reason']], model: 'sonnet' },
    { all: [['tenant', 'in', ['acme', 'globex']]], model: 'sonnet' },
    {
      all: [
        ['tier', '==', 'free'],
        ['tokens', '>', 32000],
      ],
      model: 'local',
    },
    { all: [['region', '==', 'eu']], model: 'mini' },
    { all: [], model: 'mini' },
  ];
}

/** `n` generated multi-tenant rules (plus `otherwise`). */
export function tenantRules(n) {
  const models = ['mini', 'sonnet', 'frontier', 'coder', 'local'];
  const rules = [];
  for (let i = 0; rules.length < n; i++) {
    const t = `t${i}`;
    const m = models[i % models.length];
    switch (i % 4) {
      case 0:
        rules.push({
          all: [
            ['tenant', '==', t],
            ['intent', '==', INTENTS[i % INTENTS.length]],
          ],
          model: m,
        });
        break;
      case 1:
        rules.push({
          all: [
            ['tenant', '==', t],
            ['tokens', '>', ((i % 16) + 1) * 1000],
          ],
          model: m,
        });
        break;
      case 2:
        rules.push({
          all: [
            ['tenant', 'in', [t, `t${i + 1}`]],
            ['risk', '==', 'high'],
          ],
          model: m,
        });
        break;
      default:
        rules.push({
          all: [
            ['region', '==', 'eu'],
            ['tenant', '==', t],
            ['pii', 'is', false],
          ],
          model: m,
        });
    }
  }
  rules.push({ all: [], model: 'mini' });
  return rules;
}

const MODELS = ['mini', 'sonnet', 'frontier', 'coder', 'local']
  .map((m, i) => `model ${m} { provider = "p" id = "${m}" price = { input: $${i} per 1M, output: $${i} per 1M } context = 200k }`)
  .join('\n');

export function routelangText(rules) {
  const atom = ([f, op, v]) =>
    op === 'is'
      ? v
        ? f
        : `not ${f}`
      : op === 'in'
        ? `${f} in [${v.map((x) => JSON.stringify(x)).join(', ')}]`
        : `${f} ${op} ${typeof v === 'string' && f === 'tenant' ? JSON.stringify(v) : v}`;
  const lines = rules.map((r) => (r.all.length === 0 ? `  otherwise -> ${r.model}` : `  when ${r.all.map(atom).join(' and ')} -> ${r.model}`));
  return `policy bench\n${MODELS}\n${FIELDS}\nroute {\n${lines.join('\n')}\n}\n`;
}
