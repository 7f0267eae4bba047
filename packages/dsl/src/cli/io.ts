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

/**
 * A reader that closes early (`routelang explain … | head -1`) makes writes fail with EPIPE;
 * like any Unix tool, the command then stops quietly instead of printing a stack trace.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw error;
  });
}

export function processIO(version: string): CommandIO {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    version,
    write: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
  };
}
