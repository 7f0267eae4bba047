// The playground in Debian's Chromium, as a person uses it: the built static site is served on
// 127.0.0.1; a misspelt model name is typed into Monaco, its marker and message appear, the
// did-you-mean quick fix is applied from the keyboard and the marker clears; hovering a model
// shows its card; a request typed into the panel is decided in the page by the runtime and
// names the deciding rule; a docs snippet opens with the error its docs promise. No request
// leaves the site. Screenshots go to test-artifacts/playground/.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildPlayground } from '../packages/playground/scripts/build.js';
import { serveStatic } from '../packages/playground/scripts/serve.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'playground');

/** What the page functions below use of the browser (the tests compile without the DOM's types). */
interface Marker {
  readonly code?: string | { readonly value: string };
  readonly message: string;
  readonly startLineNumber: number;
  readonly severity: number;
}
interface Page {
  readonly document: {
    querySelector(selector: string): { readonly textContent: string | null; getBoundingClientRect(): { left: number; top: number } } | null;
    querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }>;
  };
  readonly playground: {
    readonly cancelled: number;
    readonly compiled?: { readonly id: number; readonly errors: number; readonly ir: { readonly policy: { readonly name: string } } | null };
    readonly monaco: { editor: { getModelMarkers(filter: object): Marker[] } };
    readonly editor: {
      getModel(): { getLineContent(line: number): string; getValue(): string; setValue(text: string): void; uri: object } | null;
      setSelection(range: { startLineNumber: number; startColumn: number; endLineNumber: number; endColumn: number }): void;
      focus(): void;
      getScrolledVisiblePosition(position: { lineNumber: number; column: number }): { left: number; top: number; height: number } | null;
      getDomNode(): { getBoundingClientRect(): { left: number; top: number } } | null;
    };
  };
}

let server: { url: string; close: () => Promise<void> };
let browser: Browser | undefined;

beforeAll(async () => {
  execFileSync('bash', [join(ROOT, 'scripts', 'system-packages.sh'), 'chromium'], { stdio: 'inherit' });
  const { dist } = await buildPlayground();
  server = await serveStatic(dist);
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the site is self-contained: every file it loads is in the build', () => {
  const html = readFileSync(join(ROOT, 'packages', 'playground', 'dist', 'index.html'), 'utf8');
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1], 'a relative path into the build').toMatch(/^[\w.-]+$|^data:/);
});

test('in a real browser: markers, quick fix, hover, the request panel and the docs snippets', async () => {
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const outside: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const loadStarted = Date.now();
  await page.goto(`${server.url}/#sample=examples/cost-cascade`);
  // The page compiled the policy, and the language server answered and analysed it (its test lenses are drawn).
  await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#status')?.textContent === 'compiles', undefined, {
    timeout: 30_000,
  });
  const compiledMs = Date.now() - loadStarted;
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30_000 });
  await page.waitForFunction(
    () => /test passes/.test((globalThis as unknown as Page).document.querySelector('.monaco-editor .codelens-decoration')?.textContent ?? ''),
    undefined,
    { timeout: 30_000 },
  );
  const analysedMs = Date.now() - loadStarted;

  // 1. Type a misspelt model name over `mini` on the free tier's rule.
  const line = await page.evaluate(() => {
    const model = (globalThis as unknown as Page).playground.editor.getModel();
    for (let n = 1; n < 100; n++) if (model?.getLineContent(n).includes('when tier == free -> mini')) return n;
    return -1;
  });
  expect(line).toBeGreaterThan(0);
  const column = (await page.evaluate((n) => (globalThis as unknown as Page).playground.editor.getModel()?.getLineContent(n), line))?.indexOf('-> mini') ?? -1;
  await page.evaluate(
    ([n, c]) => {
      const { editor } = (globalThis as unknown as Page).playground;
      editor.setSelection({ startLineNumber: n, startColumn: c + 4, endLineNumber: n, endColumn: c + 8 });
      editor.focus();
    },
    [line, column] as const,
  );
  const typed = Date.now();
  await page.keyboard.type('minii');
  const markers = () =>
    page.evaluate(() => {
      const { monaco, editor } = (globalThis as unknown as Page).playground;
      return monaco.editor
        .getModelMarkers({ resource: editor.getModel()?.uri })
        .map((m) => ({ code: typeof m.code === 'string' ? m.code : m.code?.value, message: m.message, line: m.startLineNumber, severity: m.severity }));
    });
  await expect.poll(markers, { timeout: 15_000 }).toContainEqual(expect.objectContaining({ line, message: expect.stringContaining('did you mean `mini`') }));
  await page.waitForSelector('.monaco-editor .squiggly-error');
  const markerMs = Date.now() - typed;
  expect(await page.textContent('#problems')).toContain('minii');
  await expect.poll(() => page.textContent('#status')).toMatch(/^\d+ errors?$/);
  await page.screenshot({ path: join(ARTIFACTS, '1-marker.png') });

  // 2. The quick fix, from the keyboard: Ctrl+. on the name, then Enter on the first fix.
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Control+Period');
  await page.waitForSelector('.action-widget', { timeout: 10_000 });
  expect(await page.textContent('.action-widget')).toContain('mini');
  await page.screenshot({ path: join(ARTIFACTS, '2-quick-fix.png') });
  await page.keyboard.press('Enter');
  await expect
    .poll(() => page.evaluate((n) => (globalThis as unknown as Page).playground.editor.getModel()?.getLineContent(n), line))
    .toContain('-> mini with');
  await expect.poll(markers, { timeout: 15_000 }).toEqual([]);
  await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#status')?.textContent === 'compiles');

  // 3. Hover over `sonnet` on the next rule: the model card.
  const at = await page.evaluate((n) => {
    const { editor } = (globalThis as unknown as Page).playground;
    const text = editor.getModel()?.getLineContent(n + 1) ?? '';
    const p = editor.getScrolledVisiblePosition({ lineNumber: n + 1, column: text.indexOf('sonnet') + 3 });
    const box = editor.getDomNode()?.getBoundingClientRect();
    return p && box ? { x: box.left + p.left, y: box.top + p.top + p.height / 2 } : undefined;
  }, line);
  expect(at).toBeDefined();
  await page.mouse.move((at?.x ?? 0) - 30, at?.y ?? 0);
  await page.mouse.move(at?.x ?? 0, at?.y ?? 0, { steps: 5 });
  await page.waitForSelector('.monaco-hover:not(.hidden)', { timeout: 10_000 });
  await expect.poll(() => page.textContent('.monaco-hover'), { timeout: 10_000 }).toContain('model');
  const card = (await page.textContent('.monaco-hover')) ?? '';
  expect(card).toContain('sonnet');
  expect(card).toContain('price');
  await page.screenshot({ path: join(ARTIFACTS, '3-hover.png') });

  // 4. A request in the panel: decided in the page, naming the deciding rule.
  await page.mouse.move(1400, 900);
  await page.fill('#request', JSON.stringify({ prompt: 'refactor this module', tier: 'pro' }));
  await expect.poll(() => page.textContent('#decision')).toContain(`Decided by route, line ${line + 1}`);
  expect(await page.textContent('#decision')).toContain('May call: mini, sonnet');
  await page.fill('#request', JSON.stringify({ prompt: 'x', tier: 'platinum' }));
  await expect.poll(() => page.textContent('#decision')).toContain('Refused');
  expect(await page.textContent('#decision')).toContain('tier');
  // The costs beside it: one row per rule, the worst case of the pro rule as the hint says.
  const costs = (await page.textContent('#costs')) ?? '';
  expect(costs).toContain(`route line ${line + 1}`);
  expect(costs).toMatch(/≤ \$0\.\d+/);
  expect(await page.locator('#graph img').count()).toBe(1);
  await page.screenshot({ path: join(ARTIFACTS, '4-request.png') });

  // 5. A docs snippet that shows an error opens with exactly that error.
  const snippet = await page.evaluate(async () => {
    const samples = (await (await fetch('samples.json')).json()) as { name: string; expects?: string }[];
    return samples.find((s) => s.expects?.startsWith('RL'));
  });
  expect(snippet).toBeDefined();
  await page.selectOption('#sample', snippet?.name ?? '');
  const codes = (snippet?.expects ?? '').split(/\s+/);
  await expect
    .poll(async () => [...new Set((await markers()).filter((m) => m.severity === 8).map((m) => m.code))].sort(), { timeout: 15_000 })
    .toEqual(codes.sort());
  await page.screenshot({ path: join(ARTIFACTS, '5-docs-snippet.png') });

  // 6. A pathological policy (a decision graph that grows for seconds until RL3008) does not
  // freeze the page, and the next edit cancels its compilation.
  const rules = Array.from({ length: 200 }, (_, i) => `  when prompt contains "w${i}" and tenant == "t${i}" -> m`).join('\n');
  const pathological = `policy p\nmodel m { provider = "p" id = "m" price = { input: $1 per 1M, output: $2 per 1M } context = 200k }\ninput { prompt: text  tenant: string }\nroute {\n${rules}\n  otherwise -> m\n}\n`;
  await page.selectOption('#sample', 'examples/cost-cascade');
  await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('compiles');
  await page.evaluate((text) => (globalThis as unknown as Page).playground.editor.getModel()?.setValue(text), pathological);
  await expect.poll(() => page.textContent('#status')).toBe('checking…');
  // While it compiles, the page answers at once: a round trip and a keystroke in the request panel.
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    rounds.push(Date.now() - t);
  }
  await page.fill('#request', '{"prompt": "typed while it compiles"}');
  expect(await page.inputValue('#request')).toContain('typed while it compiles');
  expect(Math.max(...rounds), `page round trips ${rounds.join(', ')} ms`).toBeLessThan(1_000);
  expect(await page.textContent('#status')).toBe('checking…');
  // The next edit (back to the example) cancels the stale compilation: its outcome is the example's.
  await page.selectOption('#sample', 'examples/cost-cascade');
  await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toBe('compiles');
  const after = await page.evaluate(() => ({
    cancelled: (globalThis as unknown as Page).playground.cancelled,
    name: (globalThis as unknown as Page).playground.compiled?.ir?.policy.name,
  }));
  expect(after).toEqual({ cancelled: 1, name: 'cost_cascade' });

  const timings = { compiledMs, analysedMs, markerMs };
  writeFileSync(join(ARTIFACTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  console.log(
    `playground: compiled ${compiledMs} ms after load, analysed (test lenses) ${analysedMs} ms, a typed error's marker ${markerMs} ms after the keystrokes`,
  );
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
}, 180_000);
