import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { outputOf, promptHidden, untilStopSignal } from '@cctns/pki/cli';
import { Option, type Command } from 'commander';
import { Accounts, ROLES } from '../auth/accounts.js';
import { ConsoleAudit } from '../auth/audit.js';
import { ConsoleError } from '../auth/errors.js';
import { totpCode } from '../auth/totp.js';
import { loadConsoleConfig } from '../server/config.js';
import { ConsoleServer } from '../server/server.js';
import { pino } from 'pino';

/** Default console data directory: `$CCTNS_CONSOLE_DIR`, else `./data/console`. */
export function defaultConsoleDir(): string {
  return process.env['CCTNS_CONSOLE_DIR'] ?? join('data', 'console');
}

/**
 * Runs `fn` on the accounts database; an administrative act (`action`) is written to the
 * console's audit, whether it succeeded or was refused, with the operating-system user as actor.
 */
function withAccounts<T>(
  cmd: Command,
  fn: (a: Accounts) => Promise<T> | T,
  action?: { name: string; subject: string },
): Promise<T> {
  const file = join(resolve(cmd.optsWithGlobals().consoleDir as string), 'console.db');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const accounts = new Accounts(file);
  const audit = action ? new ConsoleAudit(file) : undefined;
  const actor = `cli:${userInfo().username}`;
  return Promise.resolve()
    .then(() => fn(accounts))
    .then(
      (r) => {
        audit?.record({ actor, action: action!.name, outcome: 'ok', subject: action!.subject });
        return r;
      },
      (err: unknown) => {
        audit?.record({
          actor,
          action: action!.name,
          outcome: 'refused',
          subject: action!.subject,
          code: err instanceof ConsoleError ? err.code : 'INTERNAL',
        });
        throw err;
      },
    )
    .finally(() => {
      accounts.close();
      audit?.close();
    });
}

/** The new operator's password: `CCTNS_OPERATOR_PASSWORD`, else asked twice on the terminal. */
async function newPassword(): Promise<string> {
  const env = process.env['CCTNS_OPERATOR_PASSWORD'];
  if (env) return env;
  if (!process.stdin.isTTY)
    throw new ConsoleError(
      'INPUT_INVALID',
      'set CCTNS_OPERATOR_PASSWORD or run in a terminal to type the password',
    );
  const a = await promptHidden('Password for the new operator: ');
  const b = await promptHidden('Repeat it: ');
  if (a !== b) throw new ConsoleError('INPUT_INVALID', 'the two passwords differ');
  return a;
}

/** Registers `cctns console …`: the console server, operator accounts and a TOTP helper. */
export function registerConsoleCommands(program: Command): Command {
  const group = program
    .command('console')
    .description(
      'HQ console: the console server, and operator accounts (password + TOTP, lockout after 5 failures in 15 minutes)',
    )
    .addOption(
      new Option('--console-dir <dir>', 'console data directory')
        .env('CCTNS_CONSOLE_DIR')
        .default(defaultConsoleDir()),
    );
  group
    .command('start')
    .description(
      'run the console server until SIGINT/SIGTERM: the web UI, sign-in, live feed, broadcasts, stations, notifications',
    )
    .requiredOption(
      '--config <file>',
      'console config (JSON): listen, broker, stateBrokers, tls {cert,key,root}, https {cert,key}, consoleDir, secretFile, secureCookies',
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .action(async (opts: { config: string; logLevel: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const config = loadConsoleConfig(opts.config, process.env);
      const stopped = untilStopSignal();
      const server = await ConsoleServer.start({
        ...config,
        logger: pino({ level: opts.logLevel }),
      });
      out.note(`console (${server.scope}) at ${server.url}, following ${config.broker}`);
      if (out.json)
        process.stdout.write(
          `${JSON.stringify({ ready: true, address: server.address, url: server.url, scope: server.scope })}\n`,
        );
      await stopped;
      await server.stop();
    });

  group
    .command('totp')
    .description(
      'print the current 6-digit code for a TOTP secret (a local network without a phone; operators use their authenticator app)',
    )
    .requiredOption('--secret <base32>', "the operator's TOTP secret")
    .action((opts: { secret: string }, cmd: Command) => {
      const out = outputOf(cmd);
      if (!/^[A-Z2-7]+=*$/i.test(opts.secret))
        throw new ConsoleError('INPUT_INVALID', '--secret must be base32 (A-Z, 2-7)');
      const now = new Date();
      const code = totpCode(opts.secret.toUpperCase(), now);
      const validFor = 30 - (Math.floor(now.getTime() / 1000) % 30);
      out.result(`${code}  (valid for ${validFor} s)`, { code, validForSeconds: validFor });
    });

  const user = group.command('user').description('operator accounts');

  user
    .command('add')
    .description(
      'create an operator; prints the TOTP secret and otpauth URI to enrol in an authenticator app',
    )
    .requiredOption('--username <name>', 'lower-case, e.g. duty1')
    .addOption(
      new Option('--role <role>', 'what the operator may do').choices([...ROLES]).default('viewer'),
    )
    .requiredOption('--scope <scope>', 'national, or the State/UT code of a state HQ')
    .action(async (opts: { username: string; role: string; scope: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const password = await newPassword();
      await withAccounts(
        cmd,
        async (a) => {
          const r = await a.add({
            username: opts.username,
            role: opts.role,
            scope: opts.scope,
            password,
            now: new Date(),
          });
          out.result(
            [
              `Operator ${opts.username} (${opts.role}, ${opts.scope}) created.`,
              `Enrol the second factor in an authenticator app:`,
              `  secret: ${r.totpSecret}`,
              `  uri:    ${r.otpauth}`,
            ].join('\n'),
            {
              username: opts.username,
              role: opts.role,
              scope: opts.scope,
              totpSecret: r.totpSecret,
              otpauth: r.otpauth,
            },
          );
        },
        { name: 'console.user.add', subject: opts.username },
      );
    });

  user
    .command('list')
    .description('operators with role, scope and lock state')
    .action(async (_o: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAccounts(cmd, (a) => {
        const ops = a.list();
        out.result(
          ops
            .map((o) =>
              `${o.username.padEnd(20)} ${o.role.padEnd(14)} ${o.scope.padEnd(9)} ${o.locked ? 'LOCKED' : ''}`.trimEnd(),
            )
            .join('\n') || 'No operators.',
          ops,
        );
      });
    });

  for (const [name, what] of [
    ['lock', 'lock an account'],
    ['unlock', 'unlock an account and forget its failed sign-ins'],
    ['reset-totp', 'give an operator a new TOTP secret (a lost phone)'],
  ] as const) {
    user
      .command(name)
      .argument('<username>')
      .description(what)
      .action(async (username: string, _o: unknown, cmd: Command) => {
        const out = outputOf(cmd);
        await withAccounts(
          cmd,
          (a) => {
            if (name === 'lock') {
              a.lock(username, new Date());
              out.result(`Locked ${username}.`, { username, locked: true });
            } else if (name === 'unlock') {
              a.unlock(username);
              out.result(`Unlocked ${username}.`, { username, locked: false });
            } else {
              const r = a.resetTotp(username);
              out.result(
                [
                  `New second factor for ${username}:`,
                  `  secret: ${r.totpSecret}`,
                  `  uri:    ${r.otpauth}`,
                ].join('\n'),
                { username, totpSecret: r.totpSecret, otpauth: r.otpauth },
              );
            }
          },
          { name: `console.user.${name}`, subject: username },
        );
      });
  }
  return group;
}
