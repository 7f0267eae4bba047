// `routelang simulate POLICY TRAFFIC.jsonl`: replays recorded requests through the policy
// with simulated models and reports route mix, cost against the baseline, escalations,
// fallbacks, latency, denials and invalid requests.

import { writeFileSync } from 'node:fs';
import { loadTokenizer, type TokenizerName } from '@routelang/runtime';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { MAX_PROFILE_BYTES, MAX_TRAFFIC_BYTES, readBoundedText } from '../read.js';
import { resolveProfile } from '../simulate/profile.js';
import { renderSimulationHtml, renderSimulationText } from '../simulate/report.js';
import { simulate } from '../simulate/simulate.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

/** Files with more lines than this get a progress bar on standard error. */
export const PROGRESS_THRESHOLD = 10_000;

export interface SimulateArgs {
  readonly policy: string;
  readonly traffic: string;
  readonly format: 'text' | 'json';
  readonly seed: number | undefined;
  readonly profile: string | undefined;
  readonly html: string | undefined;
  readonly tokenizer: TokenizerName;
  /** Whether standard error is a terminal (the bar redraws in place) or a log (a line per 10 %). */
  readonly errIsTTY: boolean;
  readonly writeErr: (text: string) => void;
}

export async function runSimulate(args: SimulateArgs, io: CommandIO): Promise<number> {
  const result = compilePolicy(args.policy);
  if (hasErrors(result.diagnostics) || !result.ir) {
    io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
    return 1;
  }
  let profileJson: unknown;
  if (args.profile !== undefined) {
    const read = readBoundedText(args.profile, MAX_PROFILE_BYTES);
    if (!read.ok) {
      io.err(`routelang: cannot read the profile ${args.profile}: it ${read.reason}`);
      return 2;
    }
    try {
      profileJson = JSON.parse(read.text);
    } catch (error) {
      io.err(`routelang: the profile ${args.profile} is not JSON: ${(error as Error).message}`);
      return 2;
    }
  }
  const { profile, problems } = resolveProfile(result.ir, profileJson, args.seed);
  if (!profile) {
    for (const p of problems) io.err(`routelang: ${args.profile ?? 'profile'}: ${p.path}: ${p.message}`);
    return 2;
  }
  const read = readBoundedText(args.traffic, MAX_TRAFFIC_BYTES);
  if (!read.ok) {
    io.err(`routelang: cannot read ${args.traffic}: it ${read.reason}`);
    return 2;
  }
  const text = read.text;
  const lines = text.split('\n');
  const bar = lines.length > PROGRESS_THRESHOLD ? progressBar(args.errIsTTY, args.writeErr) : undefined;
  const report = await simulate(result.ir, lines, {
    profile,
    tokenizer: await loadTokenizer(args.tokenizer),
    ...(bar ? { onProgress: bar } : {}),
  });
  if (args.format === 'json') io.out(JSON.stringify({ traffic: args.traffic, ...report }, null, 2));
  else io.out(renderSimulationText(report, args.traffic));
  if (args.html !== undefined) {
    try {
      writeFileSync(args.html, renderSimulationHtml(report, args.traffic));
    } catch (error) {
      io.err(`routelang: cannot write ${args.html}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      return 2;
    }
  }
  return 0;
}

/** A progress bar: redrawn in place on a terminal; a line per tenth of the file otherwise. */
function progressBar(tty: boolean, write: (text: string) => void): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const share = total > 0 ? done / total : 1;
    const filled = Math.round(share * 30);
    const line = `simulating [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${Math.floor(share * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
    if (tty) {
      write(`\r${line}${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      write(`${line}\n`);
    }
  };
}
