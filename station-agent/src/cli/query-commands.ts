import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { collect, intOption, outputOf } from '@cctns/pki/cli';
import {
  Gender,
  PersonStatus,
  Record as RecordMsg,
  type LookupResponse,
  type StateFailure,
} from '@cctns/proto';
import { AgentError } from '../errors.js';
import type { ClientCredentials, LookupInput } from '../query/client.js';
import { defaultAgentDir } from './agent-commands.js';
import {
  agentCredentials,
  DEFAULT_REASONS,
  enumNames,
  fileCredentials,
  parseEnumName,
  purposeOf,
  recordJson,
  recordSummary,
  withRecordsClient,
} from './records-support.js';

/** Columns as wide as a terminal shows them: combining marks (Devanagari matras...) take no cell. */
function cells(s: string): number {
  return [...s.replace(/[\p{Mn}\p{Me}\p{Cf}]/gu, '')].length;
}

function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ');
  return [...one].length > max ? `${[...one].slice(0, max - 1).join('')}…` : one;
}

/** A table of text columns, padded by display width; the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => cells(r[i] ?? ''))));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - cells(c))))
      .join('  ')
      .trimEnd(),
  );
}

/** The states that did not answer, grouped by reason: one line each, for people. */
export function notAnswered(missing: StateFailure[]): string[] {
  const groups = new Map<string, StateFailure[]>();
  for (const m of missing) groups.set(m.reason, [...(groups.get(m.reason) ?? []), m]);
  return [...groups].map(([reason, fs]) =>
    fs.length === 1
      ? `NOT ANSWERED: ${fs[0]!.state} (${reason}: ${fs[0]!.message})`
      : `NOT ANSWERED: ${fs.map((f) => f.state).join(', ')} (${reason}, e.g. ${fs[0]!.message})`,
  );
}

/** The human answer of a lookup: a ranked table, the states that answered, and those that did not. */
export function describeLookup(r: LookupResponse): string {
  const lines: string[] = [];
  if (r.matches.length) {
    lines.push(
      ...table([
        ['score', 'state', 'id', 'record', 'details', 'owner'],
        ...r.matches.map((m) => {
          const s = recordSummary(m.record ?? RecordMsg.fromPartial({}));
          return [
            m.score.toFixed(2),
            m.state,
            m.record?.id ?? '',
            clip(s.main, 40),
            clip(s.details, 60),
            m.record?.owner ?? '',
          ];
        }),
      ]),
    );
  } else {
    lines.push('No matches.');
  }
  lines.push('', `answered: ${r.answered.length ? r.answered.join(', ') : 'none'}`);
  lines.push(...notAnswered(r.missing));
  return lines.join('\n');
}

/** A lookup's answer as JSON: matches with their records decoded, answered and missing states. */
export function lookupJson(r: LookupResponse): unknown {
  return {
    matches: r.matches.map((m) => ({
      score: Math.round(m.score * 1000) / 1000,
      state: m.state,
      record: recordJson(m.record),
    })),
    answered: r.answered,
    missing: r.missing.map((f) => ({ state: f.state, reason: f.reason, message: f.message })),
  };
}

interface ConnectionOptions {
  dir?: string;
  cert?: string;
  key?: string;
  root?: string;
  broker?: string;
  identity?: string;
  trustDomain?: string;
}

interface LookupOptions extends ConnectionOptions {
  purposeRef?: string;
  reason?: string;
  state?: string[];
  limit?: number;
}

/** The caller's credentials: a station's agent directory, or certificate files (an agency's). */
function connection(opts: ConnectionOptions): ClientCredentials {
  if (opts.cert) {
    if (opts.dir)
      throw new AgentError(
        'INPUT_INVALID',
        'give either --dir or --cert (with --key ...), not both',
      );
    return fileCredentials({ ...opts, cert: opts.cert });
  }
  const stray = (['key', 'root', 'broker', 'identity', 'trustDomain'] as const).filter(
    (k) => opts[k],
  );
  if (stray.length)
    throw new AgentError(
      'INPUT_INVALID',
      `${stray.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} go with --cert; a station gives --dir`,
    );
  return agentCredentials(resolve(opts.dir ?? defaultAgentDir()));
}

/** The options every lookup takes: who asks (directory or certificate files), why, where. */
function lookupOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--dir <dir>',
        "a station's agent directory (default: $CCTNS_AGENT_DIR or data/agent)",
      ),
    )
    .option('--cert <file>', "an agency's certificate chain (instead of --dir)")
    .option('--key <file>', 'its private key (with --cert)')
    .option('--root <file>', 'the national root certificate (with --cert)')
    .option(
      '--broker <host:port>',
      "the caller's broker, an agency's the national one (with --cert)",
    )
    .option(
      '--identity <identity>',
      "the certificate's identity, e.g. agency/CBI/DELHI-HQ (checked)",
    )
    .option('--trust-domain <domain>', "the certificate's trust domain (checked)")
    .option(
      '--purpose-ref <reference>',
      'required: the FIR or case the lookup serves, e.g. "FIR 77/2026 PS Swargate"',
    )
    .option(
      '--reason <code>',
      `required: a reason code of the lookup policy (default policy: ${DEFAULT_REASONS.join(', ')})`,
    )
    .option(
      '--state <STATE>',
      'search this State/UT, e.g. MH (repeatable, or comma-separated; default: every state)',
      collect,
    )
    .option('--limit <n>', 'at most this many matches (default 20)', intOption('--limit'));
}

function optionalInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new AgentError(
        'INPUT_INVALID',
        `${name} must be a whole number, not ${JSON.stringify(v)}`,
      );
    return n;
  };
}

async function runLookup(
  cmd: Command,
  opts: LookupOptions,
  query: LookupInput['query'],
): Promise<void> {
  const out = outputOf(cmd);
  const creds = connection(opts);
  const purpose = purposeOf(opts, true)!;
  const states = (opts.state ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const res = await withRecordsClient(creds, (c) =>
    c.search({ query, purpose, states, ...(opts.limit ? { limit: opts.limit } : {}) }),
  );
  out.result(describeLookup(res), lookupJson(res));
}

/** Registers `cctns query person|vehicle|case` on the umbrella program. */
export function registerQueryCommands(program: Command): Command {
  const group = program
    .command('query')
    .description(
      'purpose-bound lookups of persons, vehicles and cases across states, for stations (--dir) and agencies (--cert ...)',
    )
    .addHelpText(
      'after',
      `
Every lookup is signed with the caller's key and states its purpose (--purpose-ref and --reason);
each state broker checks the signature, the purpose and the caller's grant itself and audits it.
Reason codes of the default lookup policy: ${DEFAULT_REASONS.join(', ')}.
States that did not answer are named (NOT ANSWERED), never silently left out.`,
    );

  lookupOptions(group.command('person'))
    .description(
      'find persons by name (any script or spelling), father, age, gender, district, status',
    )
    .requiredOption('--name <text>', 'the name, or part of it')
    .option('--father <text>', "the father's name")
    .option('--age-from <n>', 'youngest age', optionalInt('--age-from'))
    .option('--age-to <n>', 'oldest age', optionalInt('--age-to'))
    .addOption(new Option('--gender <gender>').choices(enumNames(Gender, 'GENDER_')))
    .option('--district <district>', "the owning station's district, e.g. PUNE")
    .addOption(new Option('--status <status>').choices(enumNames(PersonStatus, 'PERSON_STATUS_')))
    .action(
      async (
        opts: LookupOptions & {
          name: string;
          father?: string;
          ageFrom?: number;
          ageTo?: number;
          gender?: string;
          district?: string;
          status?: string;
        },
        cmd: Command,
      ) => {
        await runLookup(cmd, opts, {
          $case: 'person',
          value: {
            name: opts.name,
            fatherName: opts.father ?? '',
            ageFrom: opts.ageFrom ?? 0,
            ageTo: opts.ageTo ?? 0,
            gender: parseEnumName(Gender, 'GENDER_', opts.gender ?? '', '--gender'),
            district: opts.district ?? '',
            status: parseEnumName(PersonStatus, 'PERSON_STATUS_', opts.status ?? '', '--status'),
          },
        });
      },
    );

  lookupOptions(group.command('vehicle'))
    .description('find vehicles by registration, chassis or engine number (any spacing or dashes)')
    .option('--reg <number>', 'registration number, e.g. MH12AB1234')
    .option('--chassis <number>', 'chassis number')
    .option('--engine <number>', 'engine number')
    .action(
      async (opts: LookupOptions & { reg?: string; chassis?: string; engine?: string }, cmd) => {
        await runLookup(cmd, opts, {
          $case: 'vehicle',
          value: {
            registration: opts.reg ?? '',
            chassis: opts.chassis ?? '',
            engine: opts.engine ?? '',
          },
        });
      },
    );

  lookupOptions(group.command('case'))
    .description('find cases by FIR number or modus operandi keywords')
    .option('--fir <number>', 'FIR number, e.g. 123/2026')
    .option('--mo <keywords>', 'modus operandi keywords, e.g. "chain snatching motorcycle"')
    .option('--district <district>', "the owning station's district, e.g. PUNE")
    .action(async (opts: LookupOptions & { fir?: string; mo?: string; district?: string }, cmd) => {
      await runLookup(cmd, opts, {
        $case: 'caseQuery',
        value: {
          firNumber: opts.fir ?? '',
          modusOperandi: opts.mo ?? '',
          district: opts.district ?? '',
        },
      });
    });

  return group;
}
