#!/usr/bin/env node
// The umbrella CLI. Each command group lives in its own package; this file only assembles them.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerPkiCommands, runCli } from '@cctns/pki/cli';
import {
  registerAuditCommands,
  registerBrokerCommands,
  registerDoctorCommand,
} from '@cctns/broker/cli';
import { registerAgentCommands, registerQueryCommands } from '@cctns/station-agent/cli';
import { registerConsoleCommands, registerUpCommand } from '@cctns/hq-console/cli';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const program = new Command('cctns')
  .description(
    'CCTNS alert network: secure alerts, receipts and lookups between police stations, HQ and agencies',
  )
  .version(pkg.version)
  .option('--json', 'print results as JSON (errors as JSON on stderr)')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 refused (token, CSR, proof),
5 not found, 6 verification failed (certificate, signature), 7 passphrase, 8 log tampered,
9 conflict (already exists / already revoked). See README.md for every error code.`,
  );

registerUpCommand(program);
registerPkiCommands(program);
registerBrokerCommands(program);
registerAgentCommands(program);
registerQueryCommands(program);
registerConsoleCommands(program);
registerAuditCommands(program);
registerDoctorCommand(program);

process.exitCode = await runCli(program, process.argv);
