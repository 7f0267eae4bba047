// The gateway's live dashboard. It reads `events` (server-sent events, one snapshot a second;
// read with fetch so an admin key can go in the authorization header) and redraws. Every
// value from the server goes into the page as text, never as HTML: tenant names and rules
// come from callers. `window.routelangDashboard` holds the latest snapshot and the charts,
// for scripts and tests. No request leaves the gateway: uPlot is served beside this file.
/* global uPlot */

const KEY_STORAGE = 'routelang-admin-key';
const PALETTE = ['#0969da', '#1a7f37', '#cf222e', '#8250df', '#9a6700', '#bc4c00', '#1b7c83', '#bf3989', '#57606a', '#6639ba'];
const state = { snapshot: undefined, charts: {}, chartKeys: {} };
/** A model keeps its colour on every chart, in the order models first appear. */
const colours = new Map();
const colourOf = (name) => {
  if (!colours.has(name)) colours.set(name, name.startsWith('(') ? '#8c959f' : PALETTE[colours.size % PALETTE.length]);
  return colours.get(name);
};
window.routelangDashboard = state;

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const dollars = (x) => (x === 0 ? '$0' : x < 0.01 ? `$${x.toPrecision(2)}` : `$${decimal.format(x)}`);
const ms = (x) => (x === null || x === undefined ? '–' : decimal.format(x));
const percent = (x) => `${decimal.format(x * 100)}%`;

function setStatus(kind, text) {
  const el = $('status');
  el.className = `status ${kind}`;
  el.textContent = text;
}

function metric(name, text) {
  const el = document.querySelector(`[data-metric="${name}"]`);
  if (el) el.textContent = text;
}

/** Fills a table's body: one row per item, each cell a string (or a node), keyed by `data-key`. */
function fill(id, items, key, cells, empty) {
  const body = $(id).tBodies[0];
  const rows = [];
  for (const item of items) {
    const tr = document.createElement('tr');
    tr.dataset.key = key(item);
    for (const [name, value, className] of cells(item)) {
      const td = document.createElement('td');
      td.dataset.field = name;
      if (className) td.className = className;
      if (value instanceof Node) td.append(value);
      else td.textContent = value;
      tr.append(td);
    }
    rows.push(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = document.createElement('td');
    td.colSpan = $(id).tHead.rows[0].cells.length;
    td.textContent = empty;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

function budgetBar(budget) {
  const span = document.createElement('span');
  if (!budget) {
    span.textContent = '–';
    return span;
  }
  const share = budget.limit > 0 ? Math.min(1, budget.spent / budget.limit) : 1;
  const bar = document.createElement('span');
  bar.className = share >= 0.9 ? 'bar high' : 'bar';
  const fillEl = document.createElement('span');
  fillEl.style.width = `${(share * 100).toFixed(1)}%`;
  bar.append(fillEl);
  span.append(bar, `${dollars(budget.spent)} of ${dollars(budget.limit)} / ${budget.period}`);
  return span;
}

/** Draws (or redraws) a time-series chart; it is rebuilt when its set of series changes. */
function chart(id, seconds, series, format) {
  const names = Object.keys(series);
  const keyOf = names.join('\u0000');
  const el = $(id);
  const data = [seconds, ...names.map((n) => series[n])];
  let plot = state.charts[id];
  if (!plot || state.chartKeys[id] !== keyOf) {
    plot?.destroy();
    const width = Math.max(300, el.clientWidth || 400);
    plot = new uPlot(
      {
        width,
        height: 220,
        series: [{}, ...names.map((name) => ({ label: name, stroke: colourOf(name), width: 1.5, spanGaps: false, value: (_, v) => (v === null ? '–' : format(v)) }))],
        axes: [{}, { values: (_, ticks) => ticks.map(format), size: 60 }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data,
      el,
    );
    state.charts[id] = plot;
    state.chartKeys[id] = keyOf;
  } else {
    plot.setData(data);
  }
}

function render(s) {
  state.snapshot = s;
  $('policy').textContent = s.policy.name ?? '(unnamed policy)';
  $('hash').textContent = s.policy.hash;
  setStatus('live', `live · ${new Date(s.time).toLocaleTimeString()}`);

  metric('requests', number.format(s.totals.requests));
  metric('rps', decimal.format(s.totals.requestsPerSecond));
  metric('cost', dollars(s.totals.cost));
  metric('tokens', `${number.format(s.totals.inputTokens)} / ${number.format(s.totals.outputTokens)}`);
  metric('inFlight', number.format(s.totals.inFlight));
  metric('escalation', decimal.format(s.rates.escalation));
  metric('fallback', decimal.format(s.rates.fallback));
  metric('denial', percent(s.rates.denial));

  chart('chart-requests', s.series.seconds, s.series.requests, (v) => decimal.format(v));
  chart('chart-cost', s.series.seconds, s.series.cost, (v) => dollars(v));
  chart('chart-latency', s.series.seconds, s.series.latencyP95, (v) => `${decimal.format(v)}`);

  fill(
    'models',
    s.models,
    (m) => m.model,
    (m) => [
      ['model', m.model, 'text'],
      ['requests', number.format(m.requests)],
      ['calls', number.format(m.calls)],
      ['inputTokens', number.format(m.inputTokens)],
      ['outputTokens', number.format(m.outputTokens)],
      ['cost', dollars(m.cost)],
      ['p50', ms(m.latencyMs.p50)],
      ['p95', ms(m.latencyMs.p95)],
      ['ttft50', ms(m.firstTokenMs.p50)],
      ['ttft95', ms(m.firstTokenMs.p95)],
      ['circuit', m.circuit.replace('_', '-'), `circuit-${m.circuit}`],
    ],
    'no model has been called yet',
  );
  fill(
    'rules',
    s.rules,
    (r) => r.rule,
    (r) => [
      ['rule', r.rule || '(none)', 'text'],
      ['requests', number.format(r.requests)],
      ['cost', dollars(r.cost)],
      ['fallbacks', number.format(r.fallbacks)],
      ['escalations', number.format(r.escalations)],
      ['denials', number.format(r.denials)],
    ],
    'no requests yet',
  );
  fill(
    'tenants',
    s.tenants,
    (t) => t.tenant,
    (t) => [
      ['tenant', t.tenant, 'text'],
      ['requests', number.format(t.requests)],
      ['cost', dollars(t.cost)],
      ['budget', budgetBar(t.budget)],
    ],
    'no tenant has made a request',
  );
  fill(
    'rollouts',
    s.rollouts,
    (r) => r.name,
    (r) => [
      ['rollout', r.name, 'text'],
      ['state', r.state.replace('_', ' ')],
      ['share', `${decimal.format(r.share)}%`],
      ['control', `${number.format(r.control.n)} / ${decimal.format(r.control.mean)}`],
      ['candidate', `${number.format(r.candidate.n)} / ${decimal.format(r.candidate.mean)}`],
      ['difference', `${decimal.format(r.difference.estimate)} [${decimal.format(r.difference.low)}, ${decimal.format(r.difference.high)}]`],
    ],
    'the policy has no rollout',
  );
  const watched = s.drift.filter((d) => d.windows > 0 || d.drifted);
  fill(
    'drift',
    watched,
    (d) => `${d.model} ${d.metric}`,
    (d) => [
      ['model', d.model, 'text'],
      ['metric', d.metric],
      ['windows', number.format(d.windows)],
      ['estimate', d.estimate === undefined || d.estimate === null ? '–' : decimal.format(d.estimate)],
      ['drifted', d.drifted ? 'yes' : 'no', d.drifted ? 'outcome-failed' : ''],
    ],
    `no series has a full window yet (${s.drift.length} watched)`,
  );
  fill(
    'recent',
    s.recent.slice(0, 20),
    (r) => r.requestId,
    (r) => [
      ['time', new Date(r.time).toLocaleTimeString()],
      ['tenant', r.tenant ?? '–', 'text'],
      ['rule', r.rule || '–', 'text'],
      ['model', r.model ?? '–', 'text'],
      ['outcome', r.outcome, `outcome-${r.outcome}`],
      ['cost', dollars(r.cost)],
      ['latencyMs', ms(r.latencyMs)],
      ['fallbacks', String(r.fallbacks)],
      ['escalations', String(r.escalations)],
    ],
    'no requests yet',
  );
  events('rollout-events', s.rolloutEvents, (e) => `${e.rollout}: ${e.action} ${e.fromShare}% → ${e.toShare}% (${e.reason})`);
  events('drift-events', s.driftEvents, (e) => `${new Date(e.time).toLocaleTimeString()} ${e.model} ${e.metric}: ${decimal.format(e.reference)} → ${decimal.format(e.current)}`);
}

function events(id, list, text) {
  $(id).replaceChildren(
    ...list.map((e) => {
      const li = document.createElement('li');
      li.textContent = text(e);
      return li;
    }),
  );
}

function askForKey(message) {
  $('board').hidden = true;
  $('key-form').hidden = false;
  $('key-message').textContent = message;
  setStatus('down', 'admin key needed');
}

const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));

/** Reads the event stream until it ends, then reconnects (after a pause when it failed). */
async function connect() {
  for (;;) {
    const key = sessionStorage.getItem(KEY_STORAGE);
    let response;
    try {
      response = await fetch('events', { headers: key ? { authorization: `Bearer ${key}` } : {}, cache: 'no-store' });
    } catch {
      setStatus('down', 'gateway unreachable; retrying');
      await sleep(2000);
      continue;
    }
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => undefined);
      askForKey(body?.error?.message ?? 'This dashboard needs an admin key.');
      return;
    }
    if (!response.ok || !response.body) {
      setStatus('down', `the gateway answered ${response.status}; retrying`);
      await sleep(2000);
      continue;
    }
    $('key-form').hidden = true;
    $('board').hidden = false;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data) render(JSON.parse(data));
        }
      }
    } catch {
      // The connection broke: reconnect below.
    }
    setStatus('connecting', 'reconnecting…');
    await sleep(1000);
  }
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $('key').value.trim());
  setStatus('connecting', 'connecting…');
  void connect();
});

void connect();
