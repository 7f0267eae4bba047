// End-to-end tests of the routelang CLI: the real binary, spawned as a user would run it.

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE, ROOT } from './support/fixtures.js';

const BIN = join(ROOT, 'packages', 'dsl', 'bin', 'routelang.js');

function routelang(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `text` to a fresh `t.route` and returns its path. */
function policyFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'routelang-test-')), 't.route');
  writeFileSync(file, text);
  return file;
}

const VALID = join(CONFORMANCE, 'valid', 'support-assistant.route');
const EXAMPLE = join(ROOT, 'examples', 'support-assistant', 'policy.route');
const UNIT_MISMATCH = join(CONFORMANCE, 'types', 'unit-mismatch.route');

describe('routelang check', () => {
  it('exits 0 and reports a summary on a clean policy', () => {
    const r = routelang(['check', EXAMPLE]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('checked 1 file: 0 errors, 0 warnings');
  });

  it('--deny-warnings exits 1 on a warning, 0 on a clean policy', () => {
    const shadowed = join(CONFORMANCE, 'analyses', 'shadowed-rule.route');
    expect(routelang(['check', shadowed]).status).toBe(0);
    expect(routelang(['check', '--deny-warnings', shadowed]).status).toBe(1);
    expect(routelang(['check', '--deny-warnings', EXAMPLE]).status).toBe(0);
  });

  it('prints file:line:column, code, message, the source line and a caret; exits 1', () => {
    const r = routelang(['check', 'test/conformance/types/unit-mismatch.route']);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('test/conformance/types/unit-mismatch.route:5:8: error RL2012: cannot compare `tokens` with `duration`');
    expect(lines[1]).toBe('5 |   when prompt.tokens < 2s -> m');
    expect(lines[2]).toBe('  |        ^^^^^^^^^^^^^^^^^^');
    expect(lines[3]).toContain('= help: units are part of the type');
  });

  it('--format json prints the documented shape with 1-based ranges', () => {
    const r = routelang(['check', '--format', 'json', UNIT_MISMATCH]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      diagnostics: {
        code: string;
        severity: string;
        message: string;
        file: string;
        range: { start: { line: number; column: number }; end: { line: number; column: number } };
      }[];
    };
    expect(doc.diagnostics).toHaveLength(4);
    expect(doc.diagnostics[0]).toMatchObject({
      code: 'RL2012',
      severity: 'error',
      message: 'cannot compare `tokens` with `duration`',
      file: 'test/conformance/types/unit-mismatch.route',
      range: { start: { line: 5, column: 8 }, end: { line: 5, column: 26 } },
    });
  });

  it('--format json carries machine fixes for did-you-mean', () => {
    const r = routelang(['check', '--format', 'json', join(CONFORMANCE, 'names', 'unknown-field-bare.route')]);
    const doc = JSON.parse(r.stdout) as { diagnostics: { fix?: { title: string; edits: { newText: string }[] } }[] };
    expect(doc.diagnostics[0]?.fix).toMatchObject({ title: 'change to `pii`', edits: [{ newText: 'pii' }] });
  });

  it('--format sarif prints SARIF 2.1.0 with rules and results', () => {
    const r = routelang(['check', '--format', 'sarif', UNIT_MISMATCH]);
    expect(r.status).toBe(1);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run?.tool.driver.name).toBe('routelang');
    const first = run?.results[0];
    expect(first?.ruleId).toBe('RL2012');
    expect(first?.level).toBe('error');
    expect(run?.tool.driver.rules[first?.ruleIndex ?? -1]?.id).toBe('RL2012');
    expect(first?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'test/conformance/types/unit-mismatch.route' },
      region: { startLine: 5, startColumn: 8, endLine: 5, endColumn: 26 },
    });
  });

  it('exits 0 with warnings only', () => {
    const r = routelang(['check', join(CONFORMANCE, 'names', 'unused-declaration.route')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warning RL2033');
  });

  it('checks every .route file under a directory, reporting a shared import once', () => {
    const r = routelang(['check', '--format', 'json', join(ROOT, 'examples')]);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics).toEqual([]);
  });

  it('a missing file is a clear error naming the path', () => {
    const r = routelang(['check', 'no/such/policy.route']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no/such/policy.route:1:1: error RL1010: cannot read this file: it does not exist');
  });

  it('usage errors exit 2', () => {
    expect(routelang(['check']).status).toBe(2);
    expect(routelang(['check', '--format', 'xml', VALID]).status).toBe(2);
    expect(routelang(['check', '--frobnicate', VALID]).status).toBe(2);
    expect(routelang(['explode']).status).toBe(2);
    expect(routelang([]).status).toBe(2);
    expect(routelang(['--help']).status).toBe(0);
  });
});

describe('routelang fmt', () => {
  function scratch(name: string, text: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-fmt-'));
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  it('--check lists files that would change and exits 1; leaves them alone', () => {
    const file = scratch('messy.route', 'policy p model m{provider="p" id="i" price={input:$1 per 1M,output:$1 per 1M} context=8k} route{otherwise->m}\n');
    const before = readFileSync(file, 'utf8');
    const r = routelang(['fmt', '--check', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('would reformat');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('rewrites in place, then --check passes', () => {
    const file = scratch(
      'messy.route',
      'policy p\nmodel m{provider="p" id="i" price={input:$1 per 1M,output:$1 per 1M} context=8k} // the model\nroute{otherwise->m}\n',
    );
    expect(routelang(['fmt', file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      'policy p\n\nmodel m {\n  provider = "p"\n  id       = "i"\n  price    = { input: $1 per 1M, output: $1 per 1M }\n  context  = 8k\n} // the model\n\nroute {\n  otherwise -> m\n}\n',
    );
    expect(routelang(['fmt', '--check', file]).status).toBe(0);
  });

  it('refuses to format a file with syntax errors and exits 1', () => {
    const file = scratch('broken.route', 'route { when -> }\n');
    const r = routelang(['fmt', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not formatted, it has syntax errors');
    expect(readFileSync(file, 'utf8')).toBe('route { when -> }\n');
  });

  it('the valid fixtures are already formatted once formatted (idempotent on disk)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-fmt-'));
    const file = join(dir, 'support.route');
    copyFileSync(VALID, file);
    routelang(['fmt', file]);
    const once = readFileSync(file, 'utf8');
    expect(routelang(['fmt', '--check', file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(once);
  });
});

describe('routelang compile, explain, test, graph', () => {
  const GOVERNANCE = join(ROOT, 'examples', 'governance', 'policy.route');

  it('compile prints a valid IR and the graph size', () => {
    const r = routelang(['compile', GOVERNANCE]);
    expect(r.status).toBe(0);
    const ir = JSON.parse(r.stdout) as { format: string; routes: { graph: { nodes: unknown[] } }[] };
    expect(ir.format).toBe('routelang/ir@1');
    expect(r.stderr).toMatch(/entry route: 7 rules, decision graph of \d+ nodes over \d+ variables, at most \d+ tests per decision/);
  });

  it('compile writes to -o and refuses a policy with errors (exit 1)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'routelang-ir-')), 'ir.json');
    expect(routelang(['compile', GOVERNANCE, '-o', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('routelang/ir@1');
    const bad = routelang(['compile', join(CONFORMANCE, 'analyses', 'missing-otherwise.route')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('RL3003');
  });

  it('explain shows the decision and why, rule by rule', () => {
    const r = routelang(['explain', GOVERNANCE, '--request', '{"prompt":"claim for a broken pipe","workflow":"claims"}']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('plan     local-large fallback local');
    expect(r.stdout).toMatch(/no {5}line 18 +when risk == high/);
    expect(r.stdout).toMatch(/match {2}line 20 +when pii or workflow == claims/);
  });

  it('explain --format json refuses a bad request with field errors (exit 1), and bad JSON is a usage error', () => {
    const r = routelang(['explain', GOVERNANCE, '--format', 'json', '--request', '{"prompt":1,"risk":"extreme"}']);
    expect(r.status).toBe(1);
    const body = JSON.parse(r.stdout) as { ok: boolean; errors: { field: string; code: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(['prompt', 'risk']);
    expect(routelang(['explain', GOVERNANCE, '--request', '{oops']).status).toBe(2);
  });

  it('explain reads a long request from a file (@FILE) or standard input (-)', () => {
    // 40,000 one-token words: past the 32k rule, and far past what fits in an argument.
    const prompt = Array.from({ length: 40_000 }, (_, i) => ['claim', 'pipe', 'water', 'damage'][i % 4]).join(' ');
    const file = join(mkdtempSync(join(tmpdir(), 'routelang-test-')), 'request.json');
    writeFileSync(file, JSON.stringify({ prompt, workflow: 'claims' }));
    const fromFile = routelang(['explain', GOVERNANCE, '--request', `@${file}`]);
    expect(fromFile.stdout).toMatch(/match {2}line 19 +when \(pii or workflow == claims\) and prompt.tokens > 32k/);
    expect(fromFile.status).toBe(0);
    const fromStdin = spawnSync(process.execPath, [BIN, 'explain', GOVERNANCE, '--request', '-'], { input: readFileSync(file), encoding: 'utf8' });
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    const missing = routelang(['explain', GOVERNANCE, '--request', '@/no/such/request.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read /no/such/request.json: ENOENT');
  });

  it("test takes a prompt's size in tokens for a text field, exactly at the boundary", () => {
    const file = policyFile(`policy t
model m { provider = "p" id = "i" price = { input: $1 per 1M, output: $2 per 1M } context = 200k }
input { prompt: text }
route {
  when prompt.tokens > 100k -> deny "too long"
  otherwise -> m
}
test "at the limit" { given { prompt: 100k } expect m }
test "one over" { given { prompt: 100001 } expect deny }
test "empty" { given { prompt: 0 } expect m }
test "wrongly expected" { given { prompt: 100001 } expect m }
`);
    const r = routelang(['test', file]);
    expect(r.stdout).toMatch(/pass {2}at the limit/);
    expect(r.stdout).toMatch(/pass {2}one over/);
    expect(r.stdout).toMatch(/pass {2}empty/);
    expect(r.stdout).toMatch(/FAIL {2}wrongly expected/);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('3 passed, 1 failed');
  });

  it('test runs test blocks, reports coverage and ends with "N passed, N failed"', () => {
    const r = routelang(['test', join(ROOT, 'examples')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('coverage entry route:');
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('test exits 1 on a failing expectation and says why', () => {
    const r = routelang([
      'test',
      policyFile(
        'policy t\nmodel a { provider = "p" id = "a" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\nmodel b { provider = "p" id = "b" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\ninput { prompt: text }\nroute {\n  when prompt contains "x" -> a\n  otherwise -> b\n}\ntest "x goes to b" { given { prompt: "xyz" } expect b }\n',
      ),
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('expected `b` to be called first, but the rule at line 6 calls `a` first');
    expect(r.stdout).toContain('0 passed, 1 failed');
  });

  it('test counts the tests of a policy with errors as failed, never "0 failed"', () => {
    const r = routelang([
      'test',
      policyFile(
        'policy t\nmodel a { provider = "p" id = "a" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\ninput { prompt: text }\nroute {\n  when prompt.tokens < 2s -> a\n  otherwise -> a\n}\ntest "one" { given { prompt: "x" } expect a }\ntest "two" { given { prompt: "y" } expect a }\n',
      ),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('2 tests not run: the policy has errors');
    expect(r.stdout).toContain('0 passed, 2 failed');
  });

  it('graph renders Mermaid and DOT', () => {
    const mermaid = routelang(['graph', join(ROOT, 'examples', 'tool-first', 'policy.route')]);
    expect(mermaid.status).toBe(0);
    expect(mermaid.stdout).toContain('flowchart TD');
    expect(mermaid.stdout).toContain('-- "topic == faq" -->');
    const dot = routelang(['graph', join(ROOT, 'examples', 'tool-first', 'policy.route'), '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph routelang \{/);
    const svg = routelang(['graph', GOVERNANCE, '--format', 'svg']);
    expect(svg.status).toBe(0);
    expect(svg.stdout).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.stdout).toContain('entry route');
    expect(svg.stdout).toContain('line 18: deny &quot;high-risk requests need a human …');
    expect(svg.stdout).not.toMatch(/<script|href="http/);
    expect(routelang(['graph', GOVERNANCE, '--format', 'png']).status).toBe(2);
  });

  it('graph merges adjacent ranges on an edge into one', () => {
    // The tokens field is cut at model windows too (32k, 1M): the regions between lead to the
    // same place and read as one range, not "8000 ≤ t < 32001 or 32001 ≤ t < 128001".
    const mermaid = routelang(['graph', join(ROOT, 'examples', 'support-assistant', 'policy.route')]).stdout;
    expect(mermaid).toContain('-- "8000 ≤ prompt.tokens < 128001" -->');
    expect(mermaid).toContain('-- "200001 ≤ prompt.tokens" -->');
    expect(mermaid).not.toMatch(/prompt\.tokens < \d+ or \d+ ≤ prompt\.tokens/);
  });
});

describe('routelang diff', () => {
  it('exits 1 and lists the changed regions, 0 when nothing changes, 2 on usage errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-diff-'));
    const before = join(dir, 'before.route');
    const after = join(dir, 'after.route');
    const text = readFileSync(join(CONFORMANCE, 'valid', 'minimal.route'), 'utf8');
    writeFileSync(before, `${text.replace('policy minimal', 'policy minimal\ninput { prompt: text }')}`);
    writeFileSync(
      after,
      `${text.replace('policy minimal', 'policy minimal\ninput { prompt: text }').replace('otherwise -> only', 'when prompt.tokens > 100k -> deny "too long"\n  otherwise -> only')}`,
    );
    const changed = routelang(['diff', before, after]);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('only  →  deny "too long"\n    when 100001 ≤ prompt.tokens\n        e.g. ');
    const json = JSON.parse(routelang(['diff', '--format', 'json', before, after]).stdout) as { changes: { before: string; after: string }[] };
    expect(json.changes).toEqual([expect.objectContaining({ before: 'only', after: 'deny "too long"' })]);
    expect(routelang(['diff', before, before]).status).toBe(0);
    expect(routelang(['diff', before]).status).toBe(2);

    // --traffic replays recorded requests through both policies.
    const traffic = join(dir, 'traffic.jsonl');
    writeFileSync(
      traffic,
      [JSON.stringify({ prompt: 'short' }), JSON.stringify({ prompt: 'word '.repeat(120_000) }), 'not json', JSON.stringify({ prompt: 5 })].join('\n'),
    );
    const moved = routelang(['diff', '--format', 'json', '--traffic', traffic, before, after]);
    const body = JSON.parse(moved.stdout) as { traffic: { requests: number; moved: number; invalid: number; costBefore: number; costAfter: number } };
    expect(body.traffic).toMatchObject({ requests: 4, moved: 1, invalid: 2, costAfter: 0 });
    expect(body.traffic.costBefore).toBeGreaterThan(0);
    expect(routelang(['diff', '--traffic', join(dir, 'missing.jsonl'), before, after]).status).toBe(2);
  });
});

describe('a reader that closes early', () => {
  it('ends the command quietly, with no EPIPE stack trace (`routelang explain … | head -1`)', async () => {
    for (const args of [
      ['explain', EXAMPLE, '--request', '{"prompt":"hi","tenant":"acme"}'],
      ['compile', EXAMPLE],
    ]) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      // Closed before the command writes anything: its first write fails with EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(stderr, args[0]).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
      expect(code, args[0]).toBe(0);
    }
  });
});
