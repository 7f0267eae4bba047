// End to end in a real VS Code: the packaged .vsix is installed into code-server 4.100.3
// (VS Code 1.100.3), a fixture workspace is opened in Debian's Chromium driven by
// playwright-core, and the extension is checked two ways: a test-only runner extension asks
// VS Code's API (diagnostics, hover, completion, commands) and writes JSON; the browser
// drives the UI as a person would and saves a screenshot of each step under
// test-artifacts/e2e/. Installs what it needs itself (scripts/e2e/setup.sh), following
// ../shared/recipes/vscode-e2e.md.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { packageExtension } from '../../packages/vscode-extension/scripts/package.js';
import { freePort } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let server: ChildProcess | undefined;
let work: string | undefined;

afterAll(() => {
  // code-server runs in its own process group: end it, its extension host and the language server.
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

interface RunnerResult {
  steps: {
    activation: { languageId: string; active: boolean };
    diagnostics: { code: string; line: number; message: string; source: string }[];
    hover: string[];
    completion: string[];
    graph: { opened: boolean };
    inlayHints: { line: number; label: string }[];
    testLens: { line: number; title: string; ran: unknown };
    definition: { file: string; line: number }[];
    rename: { file: string; edits: number; texts: string[] }[];
    quickFix: { title: string; isPreferred: boolean; applied: boolean; fixedLine: string; cleared: boolean };
  };
}

test('the packaged extension works in a real VS Code', async () => {
  const codeServer = execFileSync('bash', [join(ROOT, 'scripts', 'e2e', 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  work = mkdtempSync(join(tmpdir(), 'routelang-e2e-'));
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  // The two extensions: ours, packaged as users get it, and the API runner.
  const vsix = await packageExtension(join(work, 'routelang.vsix'));
  // The tokenizer encodings ship once, beside the server and its worker, not inside each
  // (bundled into both, they made each ~5 MB and the package twice the size).
  const dist = join(ROOT, 'packages', 'vscode-extension', 'dist');
  for (const file of ['server.cjs', 'analysis-worker.cjs']) expect(statSync(join(dist, file)).size, file).toBeLessThan(2_000_000);
  for (const file of ['tokenizer-o200k_base.cjs', 'tokenizer-cl100k_base.cjs']) expect(existsSync(join(dist, file)), file).toBe(true);
  expect(statSync(vsix).size).toBeLessThan(3_000_000);
  const runnerDir = join(work, 'runner');
  cpSync(join(ROOT, 'test', 'extension', 'runner'), runnerDir, { recursive: true });
  const vsce = join(ROOT, 'packages', 'vscode-extension', 'node_modules', '.bin', 'vsce');
  const runnerVsix = join(work, 'runner.vsix');
  const packed = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', runnerVsix], {
    cwd: runnerDir,
    encoding: 'utf8',
  });
  expect(packed.status, packed.stderr).toBe(0);

  // A fresh profile, and code-server's own config (or it reads the user's and asks for a password).
  const port = await freePort();
  const data = join(work, 'data');
  mkdirSync(join(data, 'user', 'User'), { recursive: true });
  writeFileSync(
    join(data, 'user', 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'workbench.tips.enabled': false,
      'editor.hover.delay': 100,
    }),
  );
  writeFileSync(join(data, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const base = [codeServer, '--config', join(data, 'config.yaml'), '--user-data-dir', join(data, 'user'), '--extensions-dir', join(data, 'ext')];
  const env = { ...process.env, XDG_DATA_HOME: join(data, 'xdg'), E2E_RESULT: join(work, 'result.json') };
  for (const extension of [vsix, runnerVsix]) {
    const installed = spawnSync(base[0] as string, [...base.slice(1), '--install-extension', extension], { env, encoding: 'utf8' });
    expect(installed.status, installed.stderr).toBe(0);
  }
  const workspace = join(work, 'workspace');
  cpSync(join(ROOT, 'test', 'extension', 'workspace'), workspace, { recursive: true });
  server = spawn(base[0] as string, [...base.slice(1), '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  server.stdout?.on('data', (b: Buffer) => log.push(b.toString()));
  server.stderr?.on('data', (b: Buffer) => log.push(b.toString()));
  await waitFor(
    'code-server',
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });

    // 1. What VS Code's API reports (the runner starts with the extension host).
    const result = await waitFor(
      'the runner',
      () => (existsSync(env.E2E_RESULT) ? (JSON.parse(readFileSync(env.E2E_RESULT, 'utf8')) as RunnerResult) : undefined),
      180_000,
    );
    writeFileSync(join(ARTIFACTS, 'api-result.json'), JSON.stringify(result, null, 2));
    expect(result.steps.activation).toEqual({ languageId: 'routelang', active: true });
    expect(result.steps.diagnostics).toEqual([
      { code: 'RL2002', line: 10, message: expect.stringContaining('`larg` is not declared; did you mean `large`?'), source: 'routelang' },
    ]);
    expect(result.steps.hover.join('\n')).toContain('**model** `large`');
    expect(result.steps.hover.join('\n')).toContain('$3.00 / 1M input, $15.00 / 1M output');
    expect(result.steps.completion.slice(0, 3)).toEqual(['low', 'medium', 'high']);
    expect(result.steps.graph).toEqual({ opened: true });
    // Cost hints after the rules: the local model is free, the others cost at most so much.
    expect(result.steps.inlayHints).toEqual([
      { line: 12, label: '≤ $0' },
      { line: 13, label: expect.stringMatching(/^≤ \$\d+\.\d+$/) },
      { line: 14, label: expect.stringMatching(/^≤ \$\d+\.\d+$/) },
    ]);
    // The test lens says the test passes, and running it runs the policy's tests on the server.
    expect(result.steps.testLens).toEqual({
      line: 19,
      title: expect.stringContaining('test passes'),
      ran: { ok: true, errors: 0, outcomes: [{ name: 'pii goes local', passed: true, failures: [] }] },
    });
    // Go to definition lands in the catalogue; a rename edits both files.
    expect(result.steps.definition).toEqual([{ file: 'catalog.route', line: expect.any(Number) }]);
    expect(result.steps.rename).toEqual([
      { file: 'catalog.route', edits: 1, texts: ['small'] },
      { file: 'policy.route', edits: 1, texts: ['small'] },
    ]);
    // The did-you-mean quick fix, applied: the name is corrected and the diagnostic clears.
    expect(result.steps.quickFix).toEqual({ title: 'change to `large`', isPreferred: true, applied: true, fixedLine: 'otherwise -> large', cleared: true });

    // 2. The same, as a person sees it. Screenshots are the test's artifacts.
    // Keyboard shortcuts reach the workbench only once it has focus and has finished
    // starting; a press that lands too early is lost, so open a quick input with retries.
    const quickInput = async (key: string): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        await page.keyboard.press(key);
        const shown = await page
          .waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 3_000 })
          .then(() => true)
          .catch(() => false);
        if (shown) return;
        if (attempt === 10) throw new Error(`${key} did not open the quick input`);
        await page.keyboard.press('Escape');
        await page
          .locator('.monaco-workbench .part.statusbar')
          .click({ timeout: 2_000 })
          .catch(() => undefined);
        await sleep(1_000);
      }
    };
    const run = async (command: string): Promise<void> => {
      await quickInput('Control+Shift+P');
      await page.keyboard.type(command);
      await sleep(400);
      await page.keyboard.press('Enter');
      await sleep(600);
    };
    const goTo = async (file: string, line: number, column: number): Promise<void> => {
      await quickInput('Control+P');
      await page.keyboard.type(file);
      await sleep(500);
      await page.keyboard.press('Enter');
      await sleep(800);
      await quickInput('Control+G');
      await page.keyboard.type(`${line}:${column}`);
      await page.keyboard.press('Enter');
      await sleep(400);
    };
    const bodyText = () => page.locator('body').innerText();

    // The Problems panel shows the diagnostic of the broken policy.
    await goTo('broken.route', 10, 16);
    await run('View: Focus Problems');
    await waitFor('the diagnostic in the Problems panel', async () => ((await bodyText()).includes('did you mean `large`?') ? true : undefined), 30_000);
    await page.screenshot({ path: join(ARTIFACTS, '1-problems-panel.png') });

    // Hovering a model name shows its card.
    await goTo('policy.route', 13, 25);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = await waitFor(
      'the hover card',
      async () => {
        const text = await page.locator('.monaco-hover').allInnerTexts();
        return text.join('\n').includes('claude-sonnet') ? text.join('\n') : undefined;
      },
      30_000,
    );
    expect(hover).toContain('deployment');
    await page.screenshot({ path: join(ARTIFACTS, '2-hover-model-card.png') });
    await page.keyboard.press('Escape');

    // Completion after `risk == ` offers the enum's members.
    await goTo('policy.route', 13, 16);
    await page.keyboard.press('Control+Space');
    const suggestions = await waitFor(
      'the completion list',
      async () => {
        const text = (await page.locator('.suggest-widget').allInnerTexts()).join('\n');
        return text.includes('medium') ? text : undefined;
      },
      30_000,
    );
    expect(suggestions).toMatch(/low[\s\S]*medium[\s\S]*high/);
    await page.screenshot({ path: join(ARTIFACTS, '3-completion-enum-members.png') });
    await page.keyboard.press('Escape');

    // "Routelang: Show decision graph" renders the picture in a webview.
    await run('Routelang: Show decision graph');
    const graph = await waitFor(
      'the graph webview',
      async () => {
        for (const frame of page.frames()) {
          const svg = await frame
            .locator('#routelang-graph svg')
            .first()
            .innerHTML({ timeout: 200 })
            .catch(() => undefined);
          if (svg) return svg;
        }
        return undefined;
      },
      30_000,
    );
    expect(graph).toContain('entry route');
    expect(graph).toContain('line 14: mini');
    await page.screenshot({ path: join(ARTIFACTS, '4-decision-graph.png') });
  } catch (error) {
    writeFileSync(join(ARTIFACTS, 'code-server.log'), log.join(''));
    for (const page of browser.contexts().flatMap((c) => c.pages())) {
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png') }).catch(() => undefined);
    }
    throw error;
  } finally {
    await browser.close();
  }
}, 900_000);
