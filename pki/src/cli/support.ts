import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CommanderError, type Command } from 'commander';
import { EXIT, PkiError } from '../errors.js';

/** What every CLI command writes through: human text, or JSON with `--json`. */
export interface Output {
  json: boolean;
  /** Prints `data` as JSON with --json, else the human text. */
  result(human: string, data: unknown): void;
  /** A progress or status line for people (stderr, never mixed into JSON on stdout). */
  note(line: string): void;
}

/** The output of a command, honouring the global `--json`. */
export function outputOf(cmd: Command): Output {
  const json = Boolean(cmd.optsWithGlobals().json);
  return {
    json,
    result(human, data) {
      process.stdout.write(
        json ? `${JSON.stringify(data, null, 2)}\n` : human.endsWith('\n') ? human : `${human}\n`,
      );
    },
    note(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

/** An error with a stable code and an exit code (every package's base error has both). */
interface CodedError {
  code: string;
  exitCode: number;
  message: string;
}

function isCoded(err: unknown): err is CodedError {
  return (
    err instanceof Error &&
    typeof (err as Partial<CodedError>).code === 'string' &&
    typeof (err as Partial<CodedError>).exitCode === 'number'
  );
}

/** Maps any error to the CLI's exit code: coded errors carry theirs, the rest are internal. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
  return isCoded(err) ? err.exitCode : EXIT.internal;
}

/**
 * Parses argv and runs the command; the one place where errors become exit codes and messages.
 * Returns the exit code (the caller sets process.exitCode).
 */
export async function runCli(program: Command, argv: string[]): Promise<number> {
  // Settings are inherited only by commands added later, so apply them to the whole tree.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride();
    c.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  }
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const exit = exitCodeOf(err);
    if (err instanceof CommanderError) return exit; // commander already printed its message
    const code = isCoded(err) ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stderr.write(`${JSON.stringify({ error: { code, message, exit } })}\n`);
    else process.stderr.write(`error[${code}]: ${message}\n`);
    if (!isCoded(err) && process.env['CCTNS_DEBUG'] && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    return exit;
  }
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a positive integer option, naming the option when it is not one. */
export function intOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new PkiError(
        'INPUT_INVALID',
        `${name} must be a positive integer, not ${JSON.stringify(value)}`,
      );
    return n;
  };
}

/** Reads a line from the terminal without echoing it. */
export async function promptHidden(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, cb) => cb() });
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * A CA passphrase: `CCTNS_CA_PASSPHRASE_<NAME>` (e.g. `_ROOT`, `_MH`), else `CCTNS_CA_PASSPHRASE`,
 * else asked on the terminal (twice when `confirm`). With neither, PASSPHRASE_MISSING.
 */
export async function caPassphrase(
  name: string,
  opts: { confirm?: boolean } = {},
): Promise<string> {
  const env =
    process.env[`CCTNS_CA_PASSPHRASE_${name.toUpperCase()}`] ?? process.env['CCTNS_CA_PASSPHRASE'];
  if (env !== undefined && env !== '') return env;
  if (!process.stdin.isTTY) {
    throw new PkiError(
      'PASSPHRASE_MISSING',
      `no passphrase for CA ${name}: set CCTNS_CA_PASSPHRASE_${name.toUpperCase()} or CCTNS_CA_PASSPHRASE, or run in a terminal`,
    );
  }
  const first = await promptHidden(`Passphrase for CA ${name}: `);
  if (opts.confirm) {
    const second = await promptHidden(`Repeat the passphrase for CA ${name}: `);
    if (first !== second) throw new PkiError('INPUT_INVALID', 'the two passphrases differ');
  }
  return first;
}

/** Formats a date for people: ISO without milliseconds. */
export function when(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Installs SIGINT/SIGTERM handlers now and resolves on the first signal. Long-running commands
 * call it *before* announcing they are ready: a supervisor that reads the ready line may signal
 * at once, and a signal with no handler yet would kill the process instead of stopping it cleanly.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
