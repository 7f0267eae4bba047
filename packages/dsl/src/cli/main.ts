// The `routelang` command line: parses arguments and dispatches to one module per command.
// Exit codes: 0 success, 1 problems found (errors, failing tests, files to format), 2 usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type OutputFormat, runCheck } from './check.js';
import { runCompile } from './compile.js';
import { runDiff } from './diff.js';
import { runEvaluate } from './evaluate.js';
import { runExplain } from './explain.js';
import { runFmt } from './fmt.js';
import { runGraph } from './graph.js';
import { runImport } from './import.js';
import { type CommandIO, processIO } from './io.js';
import { runKeysAdd, runServe } from './serve.js';
import { runSimulate } from './simulate.js';
import { runTest } from './test.js';
import { runTraffic } from './traffic.js';

export const VERSION = '0.1.0';

const USAGE = `usage: routelang <command> [options] FILE...

commands:
  check FILE...          report syntax, name and type problems
      --format text|json|sarif   output format (default text)
      --deny-warnings    exit 1 on warnings too (for CI)
  fmt FILE...            rewrite files in canonical form
      --check            list files that would change; exit 1 if any
  compile FILE           print the IR artifact (routelang/ir@1) and the graph's size
      -o, --output PATH  write it to PATH instead
      --emit ir|js       js: the ahead-of-time compiled decision module (an ES
                         module for Router.load(ir, { compiled })); with -o, both
                         PATH (the IR) and PATH's name with .decide.mjs
  explain FILE --request JSON|@FILE.json|-
                         the decision for one request and why, rule by rule (the
                         request inline, from a file, or from standard input)
      --format text|json
  test FILE...           run the policies' test blocks; report rule coverage
  diff OLD NEW           the input regions whose decision changes (exit 1 if any)
      --format text|json
      --traffic FILE.jsonl   how many recorded requests, and how much cost, move
  evaluate LOG.jsonl     a decision log's models (error rate, score, cost, latency),
                         rollouts (each arm, the verdict, the stage changes), shadows
                         and drift over time, with confidence intervals
      --format text|json
      --html FILE        also a self-contained page with charts
      --windows N        windows for drift (default 10)
      --confidence P     e.g. 95% (default)
  simulate POLICY TRAFFIC.jsonl
                         replay requests with simulated models: route mix, cost
                         against always the most capable model, escalations,
                         fallbacks, latency, denials, invalid requests
      --seed N           the random seed (default: the profile's, else 1)
      --profile FILE     model, tool and answer-length behaviour (JSON)
      --format text|json
      --html PATH        also write a report with charts
      --tokenizer o200k_base|cl100k_base
  traffic POLICY         sample requests for the policy, one JSON object per line:
                         fields and enums read from its input, values from the
                         regions its conditions cut, skewed like production traffic
      --count N          requests (default 5000)
      --seed N           the random seed (default 1)
      --invalid P        the share of damaged lines, 0-1 (default 0.002)
      -o, --output PATH  write them to PATH (default: standard output)
  import litellm|portkey CONFIG
                         translate a LiteLLM (YAML) or Portkey (JSON) configuration
                         into a policy and report what the analyses find in it
                         (exit 0 clean, 1 findings, 2 not a valid configuration)
      -o, --output PATH  write the policy to PATH (default: standard output)
      --format text|json
  graph FILE             the decision graphs
      --format mermaid|dot|svg (default mermaid)
  serve POLICY           an OpenAI-compatible gateway running the policy (or an IR
                         .json): POST /v1/chat/completions (streaming too), GET
                         /v1/models, POST /v1/route/explain, /healthz, /readyz, /metrics;
                         prints \`listening on URL\`; reloads on edits and SIGHUP
      --port N           default 8080 (0: a free port)
      --host H           default 127.0.0.1
      --upstream NAME=URL    where provider NAME is served (repeatable)
      --keys FILE        require API keys (see \`keys add\`); tenant comes from the key
      --rpm N            requests per minute per key (or per address without keys)
      --max-body BYTES   the largest request body (default 1048576)
      --first-token-timeout MS   a streamed call silent this long falls back
      --state redis://HOST:PORT/DB   share tenant budgets, rate limits, breakers
                         and statistics with other instances (Redis or Valkey)
      --state-mode open|strict   with the state unreachable: serve on local
                         state (open, default) or refuse budgeted requests (strict)
      --log PATH|-|none  the decision log as JSON lines (default -: standard output)
      --log-prompts      put the conversation's text in the decision log
      --no-watch         do not reload when the policy's files change
      --hooks FILE.js    host code the policy names: a module exporting tools,
                         validators, classifiers, adapters and schemas objects
      --dashboard        serve a live dashboard at /dashboard/ (with --keys, its
                         data needs an admin key)
  keys add --tenant NAME [--keys FILE]
                         make an API key for NAME (printed once; only its hash is
                         stored in FILE, default routelang.keys)
  keys add --admin [--keys FILE]
                         make an admin key: it opens the dashboard, it makes no
                         model calls

FILE may be a directory: every .route file under it is used.
exit status: 0 ok, 1 problems found, 2 usage error`;

/** Runs the CLI with `argv` (without `node` and the script), returning the exit code. */
export async function main(argv: readonly string[], io: CommandIO = processIO(VERSION)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { format: { type: 'string', default: 'text' }, 'deny-warnings': { type: 'boolean', default: false } },
        });
        const format = values.format as string;
        if (format !== 'text' && format !== 'json' && format !== 'sarif') return usage(io, `unknown format \`${format}\`; use text, json or sarif`);
        if (positionals.length === 0) return usage(io, 'check needs at least one FILE');
        return runCheck(positionals, format as OutputFormat, io, { denyWarnings: values['deny-warnings'] === true });
      }
      case 'fmt': {
        const { values, positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: { check: { type: 'boolean', default: false } } });
        if (positionals.length === 0) return usage(io, 'fmt needs at least one FILE');
        return runFmt(positionals, values.check === true, io);
      }
      case 'compile': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { output: { type: 'string', short: 'o' }, emit: { type: 'string', default: 'ir' } },
        });
        if (positionals.length !== 1) return usage(io, 'compile needs exactly one FILE');
        if (values.emit !== 'ir' && values.emit !== 'js') return usage(io, `--emit is ir or js, not ${values.emit}`);
        return runCompile(positionals[0] as string, values.output, io, values.emit);
      }
      case 'explain': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { request: { type: 'string' }, format: { type: 'string', default: 'text' } },
        });
        if (positionals.length !== 1) return usage(io, 'explain needs exactly one FILE');
        if (values.request === undefined) return usage(io, "explain needs --request '<json>' (or @FILE.json, or - for standard input)");
        if (values.format !== 'text' && values.format !== 'json') return usage(io, `unknown format \`${values.format}\`; use text or json`);
        const request = readArgument(values.request);
        if (!request.ok) {
          io.err(`routelang: --request: ${request.error}`);
          return 2;
        }
        return await runExplain(positionals[0] as string, request.text, values.format, io);
      }
      case 'test': {
        const { positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: {} });
        if (positionals.length === 0) return usage(io, 'test needs at least one FILE');
        return await runTest(positionals, io);
      }
      case 'diff': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { format: { type: 'string', default: 'text' }, traffic: { type: 'string' } },
        });
        if (positionals.length !== 2) return usage(io, 'diff needs OLD and NEW');
        if (values.format !== 'text' && values.format !== 'json') return usage(io, `unknown format \`${values.format}\`; use text or json`);
        return await runDiff(positionals[0] as string, positionals[1] as string, values.format, values.traffic, io);
      }
      case 'evaluate': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { format: { type: 'string', default: 'text' }, html: { type: 'string' }, windows: { type: 'string' }, confidence: { type: 'string' } },
        });
        if (positionals.length !== 1) return usage(io, 'evaluate needs one LOG.jsonl');
        if (values.format !== 'text' && values.format !== 'json') return usage(io, `unknown format \`${values.format}\`; use text or json`);
        const windows = values.windows === undefined ? undefined : Number(values.windows);
        if (windows !== undefined && !(Number.isSafeInteger(windows) && windows >= 2))
          return usage(io, `--windows must be a whole number ≥ 2, not \`${values.windows}\``);
        const confidence = values.confidence === undefined ? undefined : Number(values.confidence.replace(/%$/, '')) / 100;
        if (confidence !== undefined && !(confidence > 0.5 && confidence < 1))
          return usage(io, `--confidence is a percentage above 50% and below 100%, not \`${values.confidence}\``);
        return runEvaluate({ log: positionals[0] as string, format: values.format, html: values.html, windows, confidence }, io);
      }
      case 'traffic': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            count: { type: 'string', default: '5000' },
            seed: { type: 'string', default: '1' },
            invalid: { type: 'string', default: '0.002' },
            output: { type: 'string', short: 'o' },
          },
        });
        if (positionals.length !== 1) return usage(io, 'traffic needs exactly one POLICY');
        const count = Number(values.count);
        if (!Number.isSafeInteger(count) || count < 0) return usage(io, `--count must be a whole number, not \`${values.count}\``);
        const seed = Number(values.seed);
        if (!Number.isSafeInteger(seed)) return usage(io, `--seed must be an integer, not \`${values.seed}\``);
        const invalid = Number(values.invalid);
        if (!(invalid >= 0 && invalid <= 1)) return usage(io, `--invalid must be a share between 0 and 1, not \`${values.invalid}\``);
        return runTraffic(positionals[0] as string, { count, seed, invalid, output: values.output }, io);
      }
      case 'simulate': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            format: { type: 'string', default: 'text' },
            seed: { type: 'string' },
            profile: { type: 'string' },
            html: { type: 'string' },
            tokenizer: { type: 'string', default: 'o200k_base' },
          },
        });
        if (positionals.length !== 2) return usage(io, 'simulate needs POLICY and TRAFFIC.jsonl');
        if (values.format !== 'text' && values.format !== 'json') return usage(io, `unknown format \`${values.format}\`; use text or json`);
        if (values.tokenizer !== 'o200k_base' && values.tokenizer !== 'cl100k_base')
          return usage(io, `unknown tokenizer \`${values.tokenizer}\`; use o200k_base or cl100k_base`);
        const seed = values.seed === undefined ? undefined : Number(values.seed);
        if (seed !== undefined && !Number.isSafeInteger(seed)) return usage(io, `--seed must be an integer, not \`${values.seed}\``);
        return await runSimulate(
          {
            policy: positionals[0] as string,
            traffic: positionals[1] as string,
            format: values.format,
            seed,
            profile: values.profile,
            html: values.html,
            tokenizer: values.tokenizer,
            errIsTTY: io.errIsTTY ?? false,
            writeErr: io.write ?? ((t) => io.err(t.replace(/\n$/, ''))),
          },
          io,
        );
      }
      case 'import': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { output: { type: 'string', short: 'o' }, format: { type: 'string', default: 'text' } },
        });
        const [kind, file] = positionals;
        if (kind !== 'litellm' && kind !== 'portkey') return usage(io, 'import needs a kind: litellm or portkey');
        if (positionals.length !== 2 || file === undefined) return usage(io, `import ${kind} needs exactly one CONFIG file`);
        if (values.format !== 'text' && values.format !== 'json') return usage(io, `unknown format \`${values.format}\`; use text or json`);
        return await runImport(kind, file, values.output, values.format, io);
      }
      case 'graph': {
        const { values, positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: { format: { type: 'string', default: 'mermaid' } } });
        if (positionals.length !== 1) return usage(io, 'graph needs exactly one FILE');
        if (values.format !== 'mermaid' && values.format !== 'dot' && values.format !== 'svg')
          return usage(io, `unknown format \`${values.format}\`; use mermaid, dot or svg`);
        return runGraph(positionals[0] as string, values.format, io);
      }
      case 'serve': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: {
            port: { type: 'string', default: '8080' },
            host: { type: 'string', default: '127.0.0.1' },
            upstream: { type: 'string', multiple: true, default: [] },
            keys: { type: 'string' },
            rpm: { type: 'string' },
            'max-body': { type: 'string' },
            'first-token-timeout': { type: 'string' },
            state: { type: 'string' },
            'state-mode': { type: 'string' },
            log: { type: 'string', default: '-' },
            'log-prompts': { type: 'boolean', default: false },
            'no-watch': { type: 'boolean', default: false },
            hooks: { type: 'string' },
            dashboard: { type: 'boolean', default: false },
          },
        });
        if (positionals.length !== 1) return usage(io, 'serve needs exactly one POLICY');
        const int = (name: string, text: string | undefined, min: number): number | undefined | string => {
          if (text === undefined) return undefined;
          const n = Number(text);
          return Number.isSafeInteger(n) && n >= min ? n : `--${name} must be a whole number ≥ ${min}, not \`${text}\``;
        };
        const port = int('port', values.port, 0);
        const rpm = int('rpm', values.rpm, 1);
        const maxBody = int('max-body', values['max-body'], 1);
        const firstToken = int('first-token-timeout', values['first-token-timeout'], 1);
        for (const v of [port, rpm, maxBody, firstToken]) if (typeof v === 'string') return usage(io, v);
        if (typeof port === 'number' && port > 65535) return usage(io, '--port must be at most 65535');
        const stateUrl = values.state;
        if (stateUrl !== undefined && !/^(redis|rediss|valkey):\/\/[^\s]*$/.test(stateUrl))
          return usage(io, `--state takes a redis://HOST:PORT/DB URL (or rediss://, valkey://), not \`${stateUrl}\``);
        const stateMode = values['state-mode'];
        if (stateMode !== undefined && stateMode !== 'open' && stateMode !== 'strict') return usage(io, `--state-mode is open or strict, not \`${stateMode}\``);
        if (stateMode !== undefined && stateUrl === undefined) return usage(io, '--state-mode needs --state');
        return await runServe(
          {
            policy: positionals[0] as string,
            host: values.host as string,
            port: port as number,
            upstreams: values.upstream as string[],
            keys: values.keys,
            log: values.log as string,
            logPrompts: values['log-prompts'] === true,
            requestsPerMinute: rpm as number | undefined,
            maxBodyBytes: maxBody as number | undefined,
            firstTokenTimeoutMs: firstToken as number | undefined,
            state: stateUrl,
            stateMode: stateMode as 'open' | 'strict' | undefined,
            watch: values['no-watch'] !== true,
            hooks: values.hooks,
            dashboard: values.dashboard === true,
          },
          io,
        );
      }
      case 'keys': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          allowPositionals: true,
          options: { tenant: { type: 'string' }, admin: { type: 'boolean', default: false }, keys: { type: 'string', default: 'routelang.keys' } },
        });
        if (positionals[0] !== 'add' || positionals.length !== 1)
          return usage(io, 'keys takes `add --tenant NAME [--keys FILE]` or `add --admin [--keys FILE]`');
        if (values.admin === true && values.tenant !== undefined) return usage(io, 'keys add takes --tenant NAME or --admin, not both');
        if (values.admin === true) return await runKeysAdd({ admin: true }, values.keys as string, io);
        if (values.tenant === undefined) return usage(io, 'keys add needs --tenant NAME (or --admin)');
        return await runKeysAdd({ tenant: values.tenant }, values.keys as string, io);
      }
      case '--version':
      case '-V':
        io.out(VERSION);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        return usage(io, `unknown command \`${command}\``);
    }
  } catch (error) {
    // parseArgs rejects unknown options by throwing: that is a usage error, not a crash.
    if (error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      return usage(io, error.message);
    }
    throw error;
  }
}

/**
 * A value given on the command line, from a file (`@FILE`, as curl reads `-d @FILE`) or from
 * standard input (`-`): a long prompt does not fit in an argument.
 */
function readArgument(value: string): { ok: true; text: string } | { ok: false; error: string } {
  if (value !== '-' && !value.startsWith('@')) return { ok: true, text: value };
  const from = value === '-' ? 0 : value.slice(1);
  try {
    return { ok: true, text: readFileSync(from, 'utf8') };
  } catch (error) {
    return {
      ok: false,
      error: `cannot read ${value === '-' ? 'standard input' : value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  }
}

function usage(io: CommandIO, problem: string): number {
  io.err(`routelang: ${problem}\n\n${USAGE}`);
  return 2;
}
