import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { parseIdentity } from '@cctns/pki';
import { collect, intOption, outputOf } from '@cctns/pki/cli';
import { Gender, type Record as RecordMsg } from '@cctns/proto';
import { AgentError } from '../errors.js';
import {
  applyFields,
  COLUMNS,
  describeRecord,
  emptyRecord,
  FLAG_OF,
  KINDS,
  type FieldValues,
  type RecordKind,
} from './record-fields.js';
import { importFile, type ImportOptions } from './record-import.js';
import {
  agentCredentials,
  BrokerRefusal,
  enumNames,
  purposeOf,
  recordJson,
  refusalOf,
  STATUS_ENUMS,
  withRecordsClient,
} from './records-support.js';

/** The field values of the flags a command was given (undefined: not given). */
function flagValues(opts: Record<string, unknown>): FieldValues {
  const out: FieldValues = {};
  for (const field of COLUMNS) {
    if (field === 'kind') continue;
    const v = opts[FLAG_OF[field] ?? field];
    if (typeof v === 'string' || Array.isArray(v)) out[field] = v as string | string[];
  }
  return out;
}

const flagLabel = (field: string) => `--${FLAG_OF[field] ?? field}`;

/** Adds the flags of `kind` (all kinds' when undefined, for update) to a command. */
function fieldFlags(cmd: Command, kind?: RecordKind): Command {
  const has = (k: RecordKind) => !kind || kind === k;
  const statusFlag = (k: RecordKind) => {
    const [e, prefix] = STATUS_ENUMS[k];
    return new Option('--status <status>').choices(enumNames(e, prefix));
  };
  if (has('person')) {
    if (kind) cmd.requiredOption('--name <name>', 'full name, in any script');
    else cmd.option('--name <name>', 'full name (person)');
    cmd
      .option('--alias <name>', 'another name the person is known by (repeatable)', collect)
      .option('--father <name>', "father's name")
      .addOption(new Option('--gender <gender>').choices(enumNames(Gender, 'GENDER_')))
      .option('--age <years>', 'age in years when recorded')
      .option('--dob <YYYY-MM-DD>', 'date of birth')
      .option(
        '--mark <text>',
        'an identifying mark, e.g. "scar on left cheek" (repeatable)',
        collect,
      )
      .option('--address <text>', 'last known address');
    if (kind) cmd.addOption(statusFlag('person'));
  }
  if (has('vehicle')) {
    cmd
      .option('--reg <number>', 'registration number, e.g. MH12AB1234')
      .option('--chassis <number>', 'chassis number')
      .option('--engine <number>', 'engine number')
      .option('--make <text>', 'make, e.g. Maruti')
      .option('--model <text>', 'model, e.g. Swift')
      .option('--colour <text>', 'colour');
    if (kind) cmd.addOption(statusFlag('vehicle'));
  }
  if (has('case')) {
    if (kind) cmd.requiredOption('--fir <number>', 'FIR number, e.g. 123/2026');
    else cmd.option('--fir <number>', 'FIR number (case)');
    cmd
      .option('--section <law>', 'a section of law, e.g. "BNS 303" (repeatable)', collect)
      .option('--mo <text>', 'modus operandi')
      .option('--place <text>', 'where it happened')
      .option('--occurred <ISO>', 'when it happened (a time without a zone is IST)');
    if (kind) cmd.addOption(statusFlag('case'));
  }
  if (!kind)
    cmd.option(
      '--status <status>',
      `status: person ${enumNames(...STATUS_ENUMS.person).join('|')}; vehicle ${enumNames(...STATUS_ENUMS.vehicle).join('|')}; case ${enumNames(...STATUS_ENUMS.case).join('|')}`,
    );
  cmd.option('--link <id>', 'a linked record, e.g. case:MH-3 (repeatable)', collect);
  // The ref is how imports find a record again: set when it is added, not changed after.
  if (kind)
    cmd.option(
      '--ref <reference>',
      "the station's own reference, e.g. its legacy record number (unique per station, across kinds)",
    );
  return cmd;
}

/** The agent directory the `agent` group was given. */
function stationDir(cmd: Command): string {
  return resolve(cmd.optsWithGlobals().dir as string);
}

/**
 * A refusal of a read, explained for this station: an id of another state is not at its broker
 * (records are kept by their state's broker); another station's record needs a purpose to read.
 */
function explainRead(err: unknown, id: string, identity: string): unknown {
  if (!(err instanceof BrokerRefusal) || err.code !== 'RECORD_UNKNOWN') return err;
  const m = /^[a-z]+:([A-Z]{2})-/.exec(id);
  const own = parseIdentity(identity);
  const state = own.kind === 'station' ? own.state : undefined;
  return m && state && m[1] !== state
    ? new BrokerRefusal(
        err.code,
        `${err.message} (records of ${m[1]} are kept by ${m[1]}'s broker: find them with \`cctns query\`)`,
        err.exitCode,
        { cause: err },
      )
    : err;
}

/** Registers `cctns agent record …` under the agent group (which gives `--dir`). */
export function registerRecordCommands(agent: Command): Command {
  const group = agent
    .command('record')
    .description("this station's records at its state broker: add, update, show, import");

  const add = group
    .command('add')
    .description('add a record owned by this station (prints its id and version)');
  for (const kind of KINDS) {
    fieldFlags(add.command(kind), kind)
      .description(
        {
          person:
            'a person: accused, arrested, wanted, proclaimed offender, missing, unidentified found',
          vehicle: 'a vehicle: stolen or recovered (needs --reg, --chassis or --engine)',
          case: 'a case by its FIR',
        }[kind],
      )
      .action(async (opts: Record<string, unknown>, cmd: Command) => {
        const out = outputOf(cmd);
        const record = applyFields(emptyRecord(kind), flagValues(opts), flagLabel);
        const res = await withRecordsClient(agentCredentials(stationDir(cmd)), (c) =>
          c.put(record),
        );
        out.result(
          res.created
            ? `Added ${res.id} (version ${res.version})`
            : `Updated ${res.id} (version ${res.version}): this station already had a record with ref ${JSON.stringify(record.externalRef)}`,
          { id: res.id, version: res.version, created: res.created },
        );
      });
  }

  fieldFlags(
    group
      .command('update')
      .argument('<id>', 'record id, e.g. person:MH-12')
      // Not `--version`: the umbrella program's own --version would take it from anywhere.
      .requiredOption(
        '--if-version <n>',
        'the version you read; if the record has changed since, nothing is saved (RECORD_CONFLICT)',
        intOption('--if-version'),
      )
      .description(
        'change fields of a record this station owns, at the version read (list flags replace the list; an empty value clears a field)',
      ),
  ).action(
    async (id: string, opts: Record<string, unknown> & { ifVersion: number }, cmd: Command) => {
      const out = outputOf(cmd);
      const changes = flagValues(opts);
      if (Object.keys(changes).length === 0)
        throw new AgentError('INPUT_INVALID', 'nothing to change: give the fields to update');
      const creds = agentCredentials(stationDir(cmd));
      const res = await withRecordsClient(creds, async (c) => {
        let record: RecordMsg;
        try {
          record = await c.get(id);
        } catch (err) {
          const e = refusalOf(err, creds.broker);
          // Another station's record cannot be read without a purpose, nor changed at all.
          if (e instanceof BrokerRefusal && e.code === 'PURPOSE_REQUIRED')
            throw new BrokerRefusal(
              'RECORD_FORBIDDEN',
              `${id} belongs to another station; only it may change the record`,
              4,
            );
          throw explainRead(e, id, creds.identity);
        }
        applyFields(record, changes, flagLabel);
        record.version = opts.ifVersion;
        try {
          return await c.put(record);
        } catch (err) {
          const e = refusalOf(err, creds.broker);
          if (e instanceof BrokerRefusal && e.code === 'RECORD_CONFLICT')
            throw new BrokerRefusal(
              e.code,
              `${id} was changed since version ${opts.ifVersion} (${e.message}); nothing was saved: read it again with \`cctns agent record show ${id}\` and repeat the update with its version`,
              e.exitCode,
            );
          throw e;
        }
      });
      out.result(`Updated ${res.id} (version ${res.version})`, {
        id: res.id,
        version: res.version,
        created: res.created,
      });
    },
  );

  group
    .command('show')
    .argument('<id>', 'record id, e.g. person:MH-12')
    .description(
      "show a record held by this station's broker (another station's needs --purpose-ref and --reason)",
    )
    .option('--purpose-ref <reference>', 'the FIR or case the read serves')
    .option('--reason <code>', 'a reason code of the lookup policy, e.g. investigation')
    .action(async (id: string, opts: { purposeRef?: string; reason?: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const creds = agentCredentials(stationDir(cmd));
      const purpose = purposeOf(opts, false);
      const record = await withRecordsClient(creds, async (c) => {
        try {
          return await c.get(id, purpose);
        } catch (err) {
          throw explainRead(refusalOf(err, creds.broker), id, creds.identity);
        }
      });
      out.result(describeRecord(record), recordJson(record));
    });

  group
    .command('import')
    .argument('<file>', 'CSV with a header row, a JSON array of objects, or JSON Lines')
    .description(
      'add or update legacy records in bulk: one record per row, matched by its ref (or <file>:<line>) so a re-run updates; refused rows go to the report and never stop the import',
    )
    .addOption(
      new Option('--format <format>', 'default: by extension, else by content').choices([
        'csv',
        'json',
      ]),
    )
    .addOption(
      new Option(
        '--kind <kind>',
        'every row is of this kind (default: a kind column, else guessed from the fields)',
      ).choices(KINDS),
    )
    .option(
      '--report <file>',
      'write refused rows here (CSV: line, code, message, the row); default <file>.refused.csv when any',
    )
    .option('--concurrency <n>', 'records sent at once', intOption('--concurrency'), 8)
    .option(
      '--progress-every <n>',
      'without a terminal, a progress line every this many rows',
      intOption('--progress-every'),
      1000,
    )
    .action(async (file: string, opts: ImportOptions, cmd: Command) => {
      const out = outputOf(cmd);
      const creds = agentCredentials(stationDir(cmd));
      await withRecordsClient(creds, (c) => importFile(c, file, opts, out));
    });

  return group;
}
