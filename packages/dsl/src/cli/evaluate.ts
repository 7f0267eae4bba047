// `routelang evaluate LOG.jsonl`: reads a decision log (the gateway's `--log`, or any
// `telemetry.onEvent` / `onRollout` / `onShadow` output as JSON lines) and reports models,
// rollouts, shadows and drift with intervals (see ../evaluate.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { evaluateLog, renderEvaluationHtml, renderEvaluationText } from '../evaluate.js';
import type { CommandIO } from './io.js';

export interface EvaluateCommand {
  readonly log: string;
  readonly format: 'text' | 'json';
  readonly html: string | undefined;
  readonly windows: number | undefined;
  readonly confidence: number | undefined;
}

export function runEvaluate(command: EvaluateCommand, io: CommandIO): number {
  let text: string;
  try {
    text = readFileSync(command.log, 'utf8');
  } catch (error) {
    io.err(`routelang evaluate: cannot read ${command.log}: ${(error as Error).message}`);
    return 2;
  }
  const report = evaluateLog(text.split('\n'), {
    ...(command.windows !== undefined ? { windows: command.windows } : {}),
    ...(command.confidence !== undefined ? { confidence: command.confidence } : {}),
  });
  io.out(command.format === 'json' ? JSON.stringify(report, null, 2) : renderEvaluationText(report, command.log));
  if (command.html !== undefined) {
    writeFileSync(command.html, renderEvaluationHtml(report, command.log));
    io.err(`wrote ${command.html}`);
  }
  return 0;
}
