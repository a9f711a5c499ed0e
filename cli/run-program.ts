/**
 * Runs a commander program the way every Tidemark CLI behaves (the ops CLI, `npm run chaos`,
 * `npm run bench`): `--help` prints usage and exits 0; a bad flag, a missing argument or a failure
 * prints one line to stderr and exits non-zero, never a stack trace.
 */
import { CommanderError, type Command } from 'commander';
import { promptWithoutEcho } from './prompt.js';

export type Output = {
  out: (line: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  /** Asks for a secret on the terminal without echoing it; absent when there is no terminal to ask. */
  promptSecret?: (question: string) => Promise<string>;
  /** Where TIDEMARK_KEY is read from (the process environment by default). */
  env?: Record<string, string | undefined>;
};

/** The exit code of a usage mistake (bad flag, missing argument), as commander and POSIX tools use it. */
export const UsageExitCode = 2;

/** A failure the user can act on, reported as its message alone. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What an action reports besides success: reconcile exits 3 when counters differ and are left unfixed. */
export type Outcome = { exitCode: number };

/**
 * Builds the program with `build` (its actions write to `io` and may set `outcome.exitCode`),
 * parses `argv` (without node and the script) and runs the chosen action.
 */
export async function runProgram(build: (io: Output, outcome: Outcome) => Command, argv: string[], io: Output): Promise<number> {
  const outcome: Outcome = { exitCode: 0 };
  const program = build(io, outcome);
  configure(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.exitCode;
  } catch (error) {
    // Commander has printed its own one-line message (or the help) through the configured output.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : UsageExitCode;
    io.err(`${error instanceof UsageError ? 'usage' : 'error'}: ${oneLine(error)}\n`);
    return error instanceof UsageError ? UsageExitCode : 1;
  }
}

/** The console as `Output`, for a CLI's entry point. */
export const processOutput = (): Output => ({
  out: (line) => console.log(line),
  err: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
  ...(process.stdin.isTTY ? { promptSecret: promptWithoutEcho } : {}),
});

function configure(command: Command, io: Output): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (text) => io.out(text.replace(/\n$/, '')),
    // Commander puts its "(Did you mean …?)" on a line of its own; an error stays one line.
    writeErr: (text) => io.err(text.replace(/\n(?=\(Did you mean)/, ' ')),
  });
  for (const sub of command.commands) configure(sub, io);
}

/**
 * The one line a failure prints. Node's network errors can be an AggregateError with an empty
 * message (one attempt per address family), so their first cause speaks for them.
 */
export function oneLine(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return oneLine(error.errors[0] ?? 'unknown error');
  if (error instanceof Error) {
    const text = error.message || (error as NodeJS.ErrnoException).code || error.name;
    return text.split('\n')[0]!.trim();
  }
  return String(error).split('\n')[0]!.trim();
}
