// What a command writes to, so tests can run commands in-process.

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
  readonly version: string;
}

export function processIO(version: string): CommandIO {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    version,
  };
}
