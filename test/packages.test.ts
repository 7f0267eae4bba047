// The packages as a user outside this repository gets them: each publishable package packed
// (`pnpm pack`, which rewrites `workspace:*` to versions), installed with npm into an empty
// folder outside the workspace (offline: their third-party dependencies are packed from the
// installed copies), and used there as the README says — the `routelang` binary checks,
// tests and compiles a policy, a script imports `@routelang/runtime` and decides requests,
// TypeScript resolves the types through `exports`, and `routelang-lsp` answers `initialize`.

import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/fixtures.js';
import { tarballOf, thirdPartyClosure } from './support/pack.js';

const PACKAGES = ['runtime', 'dsl', 'gateway', 'redis', 'lsp'];

const POLICY = `// A self-contained policy: what a new user writes first.
policy starter version "1"

model mini {
  provider = "openai"
  id       = "gpt-4o-mini"
  price    = { input: $0.15 per 1M, output: $0.60 per 1M }
  context  = 128k
}

model big {
  provider = "openai"
  id       = "gpt-4o"
  price    = { input: $2.50 per 1M, output: $10 per 1M }
  context  = 128k
}

input {
  prompt: text
  tier:   enum { free, pro } = free
}

route {
  when tier == pro -> big fallback mini
  otherwise -> mini with { max_tokens: 1k }
}

test "free users get the small model" {
  given { prompt: "hello", tier: free }
  expect mini
}
`;

const DECIDE = `import { readFileSync } from 'node:fs';
import { Router } from '@routelang/runtime';

const ir = readFileSync('policy.json', 'utf8');
const compiled = await import('./policy.decide.mjs');
const out = [];
for (const options of [{}, { compiled }]) {
  const router = await Router.load(ir, options);
  const pro = router.decide({ prompt: 'draft a contract', tier: 'pro' });
  const bad = router.decide({ prompt: 7, tier: 'gold' });
  out.push({ first: pro.ok ? pro.first : null, rule: pro.ok ? pro.rule.line : null, errors: bad.ok ? [] : bad.errors.map((e) => e.field) });
}
console.log(JSON.stringify(out));
`;

const TYPED = `import { type Decision, type Refusal, Router } from '@routelang/runtime';
import { compilePolicy, format } from '@routelang/dsl';
import { importPortkey } from '@routelang/dsl/import';
import { startGateway } from '@routelang/gateway';
import { redisState } from '@routelang/redis';

export async function first(ir: string): Promise<string | undefined> {
  const router = await Router.load(ir, {});
  const d: Decision | Refusal = router.decide({ prompt: 'hi' });
  return d.ok ? d.first : undefined;
}
export const used = [compilePolicy, format, importPortkey, startGateway, redisState];
`;

let dir = '';
let packs = '';

function run(cmd: string, args: string[], cwd = dir): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', npm_config_loglevel: 'error' } });
}

const manifestOf = (tarball: string): Record<string, unknown> => JSON.parse(run('tar', ['xzf', tarball, '-O', 'package/package.json']).stdout);
const filesOf = (tarball: string): string[] => run('tar', ['tzf', tarball]).stdout.trim().split('\n');

beforeAll(() => {
  packs = mkdtempSync(join(tmpdir(), 'routelang-packs-'));
  for (const p of PACKAGES) {
    const r = run('pnpm', ['pack', '--pack-destination', packs], join(ROOT, 'packages', p));
    if (r.status !== 0) throw new Error(`pnpm pack ${p}: ${r.stderr}${r.stdout}`);
  }
  mkdirSync(join(packs, 'deps'));
  for (const [name, at] of thirdPartyClosure(PACKAGES.map((p) => join(ROOT, 'packages', p))))
    tarballOf(at, join(packs, 'deps', `${name.replace('@', '').replace('/', '-')}.tgz`));

  // Outside the workspace: no pnpm layout, no workspace links above it.
  dir = mkdtempSync(join(tmpdir(), 'routelang-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'a-user', private: true, type: 'module' }));
  const tarballs = [
    ...readdirSync(packs)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(packs, f)),
    ...readdirSync(join(packs, 'deps')).map((f) => join(packs, 'deps', f)),
  ];
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs]);
  if (install.status !== 0) throw new Error(`npm install: ${install.stderr}`);
  writeFileSync(join(dir, 'policy.route'), POLICY);
}, 240_000);

describe('the packed packages', () => {
  it.each(PACKAGES)('@routelang/%s has a README, a licence, engines, types in exports and no workspace paths', (p) => {
    const tarball = join(packs, `routelang-${p}-0.1.0.tgz`);
    const files = filesOf(tarball);
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/LICENSE');
    // Built code only: no sources, tests, build info or bundle source maps.
    expect(files.filter((f) => /\/src\/|\.test\.|tsbuildinfo|\.cjs\.map$|bundle\.js\.map$/.test(f))).toEqual([]);
    const m = manifestOf(tarball);
    expect(m.license).toBe('Apache-2.0');
    expect(m.engines).toEqual({ node: '>=20.11' });
    expect(JSON.stringify(m)).not.toContain('workspace:');
    const root = (m.exports as Record<string, { types?: string; default?: string }>)['.'];
    expect(root?.types && files).toContain(`package/${root?.types?.replace('./', '')}`);
    expect(files).toContain(`package/${root?.default?.replace('./', '')}`);
  });
});

describe('installed outside the workspace', () => {
  it('routelang checks, tests and compiles a policy', () => {
    const check = run('npx', ['--offline', 'routelang', 'check', 'policy.route']);
    expect(check.stderr).toContain('checked 1 file: 0 errors, 0 warnings');
    expect(check.status).toBe(0);
    const test = run('npx', ['--offline', 'routelang', 'test', 'policy.route']);
    expect(test.status).toBe(0);
    expect(`${test.stdout}${test.stderr}`).toContain('free users get the small model');
    const compile = run('npx', ['--offline', 'routelang', 'compile', 'policy.route', '--emit', 'js', '-o', 'policy.json']);
    expect(compile.stderr).not.toContain('Error');
    expect(compile.status).toBe(0);
    expect(existsSync(join(dir, 'policy.decide.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')).format).toBe('routelang/ir@1');
  });

  it('a script imports @routelang/runtime and decides, interpreted and compiled alike', () => {
    writeFileSync(join(dir, 'decide.mjs'), DECIDE);
    const r = run(process.execPath, ['decide.mjs']);
    expect(r.stderr).toBe('');
    const expected = { first: 'big', rule: 24, errors: ['prompt', 'tier'] };
    expect(JSON.parse(r.stdout)).toEqual([expected, expected]);
  });

  it("TypeScript finds every package's types through its exports", () => {
    writeFileSync(join(dir, 'typed.ts'), TYPED);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['typed.ts'],
      }),
    );
    const r = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('routelang-lsp answers initialize over stdio', async () => {
    const server = spawn(join(dir, 'node_modules', '.bin', 'routelang-lsp'), ['--stdio'], { cwd: dir });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    let out = '';
    const reply = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply: ${out}`)), 20_000);
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const header = /^Content-Length: (\d+)\r\n\r\n/.exec(out);
        const body = header ? Buffer.from(out.slice(header[0].length)) : undefined;
        if (header && body && body.length >= Number(header[1])) {
          clearTimeout(timer);
          resolve(body.subarray(0, Number(header[1])).toString('utf8'));
        }
      });
    });
    server.kill();
    const message = JSON.parse(reply) as { result?: { capabilities?: Record<string, unknown> } };
    expect(Object.keys(message.result?.capabilities ?? {})).toEqual(expect.arrayContaining(['hoverProvider', 'completionProvider', 'renameProvider']));
  });
});
