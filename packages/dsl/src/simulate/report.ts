// The simulation report as a text table (the default), and as a self-contained HTML page
// with charts drawn as inline SVG (no script, no network: it opens from a CI artifact).

import type { SimulationReport } from './simulate.js';

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
/** Dollars with enough digits to tell small per-request costs apart. */
export function dollars(n: number): string {
  const abs = Math.abs(n);
  const digits = abs === 0 ? 2 : abs < 0.01 ? 5 : abs < 1 ? 4 : 2;
  return `${n < 0 ? '−' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}
export const ms = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${int(n)} ms`);

/** Lays out rows as an aligned table; numeric-looking cells are right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[−$\d.,%\s]+(ms|s)?$/.test(r[i] ?? '') || r[i] === ''));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The report as text: outcomes, rules, models, tools, cost against the baseline. */
export function renderSimulationText(r: SimulationReport, file: string): string {
  const valid = r.requests - r.outcomes.invalid;
  const out: string[] = [];
  out.push(`simulated ${int(r.requests)} requests from ${file} through policy \`${r.policy}\` (seed ${r.seed})`);
  out.push('');
  out.push(
    table(
      ['outcome', 'requests', 'share'],
      [
        ['answered', int(r.outcomes.answered), pct(r.outcomes.answered / Math.max(1, r.requests))],
        ['denied', int(r.outcomes.denied), pct(r.outcomes.denied / Math.max(1, r.requests))],
        ['failed', int(r.outcomes.failed), pct(r.outcomes.failed / Math.max(1, r.requests))],
        ['invalid', int(r.outcomes.invalid), pct(r.outcomes.invalid / Math.max(1, r.requests))],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['rule', 'requests', 'share', 'cost'],
      r.rules.map((rule) => [
        `${rule.route ? `${rule.route} ` : ''}line ${rule.line}: ${truncate(rule.label ? `${rule.text} ("${rule.label}")` : rule.text, 70)}`,
        int(rule.requests),
        pct(rule.requests / Math.max(1, valid)),
        dollars(rule.cost),
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['model', 'calls', 'answered', 'errors', 'p50', 'p95', 'cost'],
      r.models
        .filter((m) => m.calls > 0 || Object.keys(m.errorClasses).length > 0)
        .map((m) => [
          m.model,
          int(m.calls),
          int(m.answered),
          m.errors + sumValues(m.errorClasses, ['circuit_open', 'budget']) > 0 ? describeErrors(m.errorClasses) : '0',
          ms(m.latencyP50Ms),
          ms(m.latencyP95Ms),
          dollars(m.cost),
        ]),
    ),
  );
  if (r.tools.length > 0) {
    out.push('');
    out.push(
      table(
        ['tool', 'calls', 'found an answer', 'answered the request', 'errors'],
        r.tools.map((t) => [t.tool, int(t.calls), int(t.answers), int(t.answered), int(t.errors)]),
      ),
    );
  }
  out.push('');
  out.push(
    `cost: ${dollars(r.cost.total)} in all, ${dollars(r.cost.perRequest)} per request; always \`${r.cost.baselineModel}\`: ${dollars(r.cost.baseline)}; ${
      r.cost.saved >= 0 ? `saved ${dollars(r.cost.saved)} (${pct(r.cost.savedShare)})` : `${dollars(-r.cost.saved)} more than the baseline`
    }`,
  );
  out.push(`escalations: ${pct(r.escalationRate)} of served requests; fallbacks: ${pct(r.fallbackRate)}`);
  out.push(`latency per request: p50 ${ms(r.latency.p50Ms)}, p95 ${ms(r.latency.p95Ms)}`);
  if (r.denials.length > 0) out.push(`denied: ${r.denials.map((d) => `${int(d.count)} × "${d.reason}"`).join('; ')}`);
  if (r.failures.length > 0) out.push(`failed: ${r.failures.map((f) => `${int(f.count)} × ${f.errorClass}`).join('; ')}`);
  if (r.outcomes.invalid > 0) {
    out.push(`invalid: ${int(r.outcomes.invalid)} lines${r.invalid.length < r.outcomes.invalid ? ` (the first ${r.invalid.length} shown)` : ''}`);
    for (const i of r.invalid) out.push(`  line ${i.line}: ${i.problems.join('; ')}`);
  }
  for (const ro of r.rollouts) {
    const f = ro.final;
    out.push(
      `rollout "${ro.name}": ${f.state === 'rolled_back' ? 'rolled back' : f.state === 'complete' ? 'at 100%' : `at ${f.share}%`}; candidate − control ${f.difference.estimate.toFixed(3)} [${f.difference.low.toFixed(3)}, ${f.difference.high.toFixed(3)}] over ${int(f.control.n)} control and ${int(f.candidate.n)} candidate calls`,
    );
    for (const c of ro.changes) out.push(`  request ${int(c.atRequest)}: ${c.action} ${c.fromShare}% → ${c.toShare}%`);
  }
  for (const sh of r.shadows) {
    const scores =
      sh.primaryScore !== undefined && sh.shadowScore !== undefined
        ? `; mean score ${sh.shadowScore.toFixed(3)} against the plan's ${sh.primaryScore.toFixed(3)}`
        : '';
    out.push(`shadow \`${sh.model}\`: ${int(sh.calls)} calls, ${int(sh.ok)} answered, ${dollars(sh.cost)}${scores}`);
  }
  return out.join('\n');
}

function sumValues(record: Readonly<Record<string, number>>, keys: readonly string[]): number {
  return keys.reduce((s, k) => s + (record[k] ?? 0), 0);
}

function describeErrors(classes: Readonly<Record<string, number>>): string {
  return Object.entries(classes)
    .map(([k, v]) => `${int(v)} ${k}`)
    .join(', ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---------------------------------------------------------------- HTML

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Horizontal bars with labels and values. */
export function barChart(title: string, bars: readonly { label: string; value: number; text: string; color?: string }[]): string {
  const width = 760;
  const labelWidth = 300;
  const barHeight = 22;
  const max = Math.max(1e-12, ...bars.map((b) => b.value));
  const height = 34 + bars.length * (barHeight + 8);
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * (barHeight + 8);
      const w = Math.max(1, ((width - labelWidth - 160) * b.value) / max);
      return `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(truncate(b.label, 44))}</text><rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${b.color ?? PALETTE[i % PALETTE.length]}"/><text x="${labelWidth + w + 6}" y="${y + 15}">${escapeHtml(b.text)}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="16" class="t">${escapeHtml(title)}</text>${rows}</svg></figure>`;
}

/** One stacked bar: the route mix by final model. */
function mixChart(title: string, parts: readonly { label: string; value: number }[]): string {
  const width = 760;
  const total = parts.reduce((s, p) => s + p.value, 0) || 1;
  let x = 0;
  const rects: string[] = [];
  const legend: string[] = [];
  parts.forEach((p, i) => {
    const w = (width * p.value) / total;
    const color = PALETTE[i % PALETTE.length];
    rects.push(
      `<rect x="${x.toFixed(1)}" y="26" width="${w.toFixed(1)}" height="34" fill="${color}"><title>${escapeHtml(p.label)}: ${int(p.value)}</title></rect>`,
    );
    legend.push(
      `<rect x="${(i % 4) * 190}" y="${74 + Math.floor(i / 4) * 20}" width="12" height="12" fill="${color}"/><text x="${(i % 4) * 190 + 18}" y="${85 + Math.floor(i / 4) * 20}">${escapeHtml(`${p.label} ${pct(p.value / total)}`)}</text>`,
    );
    x += w;
  });
  const height = 90 + Math.ceil(parts.length / 4) * 20;
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="16" class="t">${escapeHtml(title)}</text>${rects.join('')}${legend.join('')}</svg></figure>`;
}

/** Latency: p50 and p95 bars side by side per model. */
function latencyChart(r: SimulationReport): string {
  const models = r.models.filter((m) => m.calls > 0);
  const width = 760;
  const labelWidth = 140;
  const max = Math.max(1, ...models.map((m) => m.latencyP95Ms));
  const rows = models
    .map((m, i) => {
      const y = 30 + i * 40;
      const w50 = ((width - labelWidth - 120) * m.latencyP50Ms) / max;
      const w95 = ((width - labelWidth - 120) * m.latencyP95Ms) / max;
      return `<text x="${labelWidth - 8}" y="${y + 20}" text-anchor="end">${escapeHtml(m.model)}</text><rect x="${labelWidth}" y="${y}" width="${w50.toFixed(1)}" height="14" fill="#4e79a7"/><text x="${labelWidth + w50 + 6}" y="${y + 12}">p50 ${ms(m.latencyP50Ms)}</text><rect x="${labelWidth}" y="${y + 16}" width="${w95.toFixed(1)}" height="14" fill="#f28e2b"/><text x="${labelWidth + w95 + 6}" y="${y + 28}">p95 ${ms(m.latencyP95Ms)}</text>`;
    })
    .join('');
  const height = 40 + models.length * 40;
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="latency per model"><text x="0" y="16" class="t">Latency per model call</text>${rows}</svg></figure>`;
}

/** The report as one HTML page. */
export function renderSimulationHtml(r: SimulationReport, file: string): string {
  const served = r.outcomes.answered;
  const mix = [
    ...r.models.filter((m) => m.answered > 0).map((m) => ({ label: m.model, value: m.answered })),
    ...r.tools.filter((t) => t.answered > 0).map((t) => ({ label: `${t.tool} (tool)`, value: t.answered })),
  ];
  if (r.outcomes.denied > 0) mix.push({ label: 'denied', value: r.outcomes.denied });
  if (r.outcomes.failed > 0) mix.push({ label: 'failed', value: r.outcomes.failed });
  const cost = barChart('Cost against the baseline', [
    { label: `this policy`, value: r.cost.total, text: dollars(r.cost.total), color: '#59a14f' },
    { label: `always ${r.cost.baselineModel}`, value: r.cost.baseline, text: dollars(r.cost.baseline), color: '#bab0ac' },
  ]);
  const rules = barChart(
    'Requests per rule',
    r.rules.map((rule) => ({ label: `line ${rule.line}: ${rule.text}`, value: rule.requests, text: `${int(rule.requests)} · ${dollars(rule.cost)}` })),
  );
  const modelCost = barChart(
    'Cost per model',
    r.models.filter((m) => m.calls > 0).map((m) => ({ label: m.model, value: m.cost, text: `${dollars(m.cost)} · ${int(m.calls)} calls` })),
  );
  const headline =
    r.cost.saved >= 0
      ? `${dollars(r.cost.saved)} saved (${pct(r.cost.savedShare)}) against sending everything to <code>${escapeHtml(r.cost.baselineModel)}</code>`
      : `${dollars(-r.cost.saved)} more than sending everything to <code>${escapeHtml(r.cost.baselineModel)}</code>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Routelang simulation: ${escapeHtml(r.policy)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:820px;color:#222}
h1{font-size:1.4rem;margin-bottom:.2rem}.sub{color:#666;margin-top:0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:1.3rem}figure{margin:1.2rem 0}svg text{font:12px system-ui,sans-serif;fill:#333}svg .t{font-weight:600;font-size:14px}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
</style></head><body>
<h1>Simulation of <code>${escapeHtml(r.policy)}</code></h1>
<p class="sub">${int(r.requests)} requests from ${escapeHtml(file)} · seed ${r.seed}</p>
<p><strong>${headline}</strong></p>
<div class="cards">
<div class="card">answered<b>${pct(served / Math.max(1, r.requests))}</b></div>
<div class="card">cost per request<b>${dollars(r.cost.perRequest)}</b></div>
<div class="card">escalations<b>${pct(r.escalationRate)}</b></div>
<div class="card">fallbacks<b>${pct(r.fallbackRate)}</b></div>
<div class="card">latency p95<b>${ms(r.latency.p95Ms)}</b></div>
</div>
${mixChart('Route mix: the model that answered', mix)}
${cost}
${modelCost}
${latencyChart(r)}
${rules}
<table><thead><tr><th>model</th><th>calls</th><th>answered</th><th>errors</th><th>p50</th><th>p95</th><th>cost</th></tr></thead><tbody>
${r.models
  .filter((m) => m.calls > 0)
  .map(
    (m) =>
      `<tr><td>${escapeHtml(m.model)}</td><td class="n">${int(m.calls)}</td><td class="n">${int(m.answered)}</td><td class="n">${m.errors > 0 ? escapeHtml(describeErrors(m.errorClasses)) : '0'}</td><td class="n">${ms(m.latencyP50Ms)}</td><td class="n">${ms(m.latencyP95Ms)}</td><td class="n">${dollars(m.cost)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
${r.denials.length > 0 ? `<p>Denied: ${r.denials.map((d) => `${int(d.count)} × “${escapeHtml(d.reason)}”`).join('; ')}</p>` : ''}
${r.outcomes.invalid > 0 ? `<p>Invalid lines: ${int(r.outcomes.invalid)}</p><ul>${r.invalid.map((i) => `<li>line ${i.line}: ${escapeHtml(i.problems.join('; '))}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
