import type { Command } from 'commander';
import { outputOf } from '@cctns/pki/cli';
import { loadBrokerConfig } from '../config/config.js';
import { BrokerError } from '../errors.js';
import { hostChecks, type Check } from '../ops/preflight.js';

/** One line per check: `ok|warn|fail name: detail`, with the fix after a dash. */
export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map(
      (c) =>
        `${c.status.padEnd(4)} ${c.name.padEnd(width)}  ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`,
    )
    .join('\n');
}

/** Registers `cctns doctor`: a broker host's checks before start. */
export function registerDoctorCommand(program: Command): Command {
  return program
    .command('doctor')
    .description(
      'check a broker host before start: certificates, key modes, store, ports, NATS with TLS and the clock; prints what to fix',
    )
    .requiredOption('--config <file>', 'broker config (JSON), as given to cctns broker start')
    .option('--nats-timeout <ms>', 'how long to wait for NATS', '5000')
    .action(async (opts: { config: string; natsTimeout: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const config = loadBrokerConfig(opts.config, process.env);
      const checks = await hostChecks(config, { natsTimeoutMs: Number(opts.natsTimeout) || 5000 });
      const failed = checks.filter((c) => c.status === 'fail');
      const warned = checks.filter((c) => c.status === 'warn');
      out.result(
        `${formatChecks(checks)}\n${failed.length} failed, ${warned.length} warnings, ${checks.length - failed.length - warned.length} ok`,
        { config: opts.config, identity: config.identity, ok: failed.length === 0, checks },
      );
      if (failed.length)
        throw new BrokerError(
          'HOST_CHECK_FAILED',
          `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.name).join(', ')}`,
        );
    });
}
