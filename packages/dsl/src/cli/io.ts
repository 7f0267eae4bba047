// What a command writes to, so tests can run commands in-process.

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
  readonly version: string;
  /** Writes to standard error as is (no newline added): progress bars. */
  readonly write?: (text: string) => void;
  readonly errIsTTY?: boolean;
}

export function processIO(version: string): CommandIO {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    version,
    write: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
  };
}
