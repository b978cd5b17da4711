import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CHECKPOINT_JWS_TYPE,
  SqliteAuditTable,
  TrustStore,
  WITNESS_JWS_TYPE,
  checkpointDigest,
  verifyAudit,
  verifyJws,
  type AuditCheckpoint,
  type AuditEntry,
  type WitnessStatement,
  type WitnessedCheckpoint,
} from '@cctns/pki';
import { intOption, outputOf } from '@cctns/pki/cli';
import { Option, type Command } from 'commander';
import { BrokerError } from '../errors.js';

/** Opens the audit of a broker or console database, read-only. */
function openAudit(file: string): { table: SqliteAuditTable; close: () => void } {
  if (!existsSync(file)) throw new BrokerError('AUDIT_UNAVAILABLE', `no such file ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const has = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit'")
    .get();
  if (!has) {
    db.close();
    throw new BrokerError('AUDIT_UNAVAILABLE', `${file} holds no audit`);
  }
  return { table: new SqliteAuditTable(db, { readonly: true }), close: () => db.close() };
}

/** The trust domain a root certificate names in its SPIFFE URI (`spiffe://<td>/ca/...`). */
function trustDomainOfRoot(pem: string, fallback: string): string {
  const m = /spiffe:\/\/([^/\s]+)\//.exec(new X509Certificate(pem).subjectAltName ?? '');
  return m?.[1] ?? fallback;
}

/** What a witness serves: the checkpoints it keeps, with its countersignatures. */
type WitnessCopy = WitnessedCheckpoint & { log: string };

/** The witness's copies, from its URL (`/audit/witnessed` of the national broker) or a saved file. */
async function readWitness(where: string): Promise<WitnessCopy[]> {
  let text: string;
  if (/^https?:\/\//.test(where)) {
    const url = new URL(where);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/audit/witnessed';
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new BrokerError(
        'AUDIT_UNAVAILABLE',
        `the witness at ${url.href} did not answer: ${(err as Error).message}`,
        { cause: err },
      );
    }
  } else {
    if (!existsSync(where)) throw new BrokerError('AUDIT_UNAVAILABLE', `no such file ${where}`);
    text = readFileSync(where, 'utf8');
  }
  try {
    const body = JSON.parse(text) as { checkpoints?: unknown };
    if (!Array.isArray(body.checkpoints)) throw new Error('no checkpoints list');
    return body.checkpoints as WitnessCopy[];
  } catch (err) {
    throw new BrokerError(
      'AUDIT_UNAVAILABLE',
      `${where} is not a witness's copy (the JSON of /audit/witnessed): ${(err as Error).message}`,
    );
  }
}

/** Checks a witness's countersignature (by the national broker) of one kept checkpoint. */
async function checkWitness(c: WitnessCopy, trust: TrustStore): Promise<void> {
  const v = await verifyJws(c.witness, trust, { typ: WITNESS_JWS_TYPE, kinds: ['broker'] });
  const st = JSON.parse(Buffer.from(v.payload).toString('utf8')) as WitnessStatement;
  if (v.signer.identityString !== 'broker/national')
    throw new BrokerError(
      'AUDIT_TAMPERED',
      `a witness copy is countersigned by ${v.signer.identityString}, not by broker/national`,
    );
  if (st.digest !== checkpointDigest(c.checkpoint) || st.log !== c.log)
    throw new BrokerError(
      'AUDIT_TAMPERED',
      `the witness's countersignature of ${st.witnessedAt} is not of the checkpoint it is kept with`,
    );
}

/** The log the database's own (verifying) checkpoints name, if any. */
async function logOf(
  checkpoints: readonly string[],
  verify: (jws: string) => Promise<AuditCheckpoint>,
): Promise<string | undefined> {
  for (const jws of checkpoints) {
    try {
      return (await verify(jws)).log;
    } catch {
      // Reported by the verification itself.
    }
  }
  return undefined;
}

/** The one log a witness copy holds; otherwise the caller must say which (--log). */
function onlyLog(copies: readonly WitnessCopy[]): string {
  const logs = [...new Set(copies.map((c) => c.log))];
  if (logs.length === 1) return logs[0]!;
  throw new BrokerError(
    'FIELD_INVALID',
    `the database names no log of its own and the witness keeps ${logs.length} (${logs.slice(0, 5).join(', ')}${logs.length > 5 ? ', …' : ''}): give --log, e.g. --log broker/MH`,
  );
}

const line = (e: AuditEntry) => {
  const b = e.body;
  const purpose = b.purpose ? ` purpose ${b.purpose.reference} (${b.purpose.reason})` : '';
  const results = b.results === undefined ? '' : ` results ${b.results}`;
  const code = b.code ? ` ${b.code}` : '';
  // What an act decided or ended as: a console's approval or rejection, a broadcast's answer.
  const d = b.details ?? {};
  const decided = [d['decision'], d['status'] && `status ${String(d['status'])}`]
    .filter((x): x is string => typeof x === 'string' && x !== '')
    .map((x) => ` ${x}`)
    .join('');
  return `${String(e.seq).padStart(6)}  ${b.at}  ${b.actor}  ${b.action} ${b.outcome}${decided}${code}${b.subject ? ` ${b.subject}` : ''}${purpose}${results}`;
};

/** Registers `cctns audit verify|report`. */
export function registerAuditCommands(program: Command): Command {
  const group = program
    .command('audit')
    .description(
      "the hash-chained audit of a broker or console: verify it (an overseer's check) and report on it",
    );

  group
    .command('verify')
    .description(
      'detect an edited, inserted or deleted entry, a rewritten or cut log (against signed checkpoints); exit 8 if found',
    )
    .requiredOption('--db <file>', "the broker's (broker.db) or console's (console.db) database")
    .option(
      '--checkpoints <file>',
      "an overseer's copy of signed checkpoints (one JWS per line, e.g. the broker's audit.checkpointFile)",
    )
    .option(
      '--witness <url|file>',
      "the witness's copies of the log's checkpoints: the national broker's /audit/witnessed URL (http://host:port) or a file saved from it; each countersignature is checked",
    )
    .option(
      '--log <identity>',
      'whose log the database holds, e.g. broker/MH (default: as its own checkpoints say)',
    )
    .option(
      '--no-checkpoints',
      'accept a log without signed checkpoints (only the chain is checked: a rewrite of the whole log would pass)',
    )
    .option(
      '--root <file>',
      'the national root certificate that checks checkpoint signatures (default: root.pem beside the database, or tls/root.pem in a console folder)',
    )
    .option(
      '--trust-domain <domain>',
      'trust domain when the root does not name one',
      'cctns.local',
    )
    .action(
      async (
        opts: {
          db: string;
          checkpoints?: string | boolean;
          witness?: string;
          log?: string;
          root?: string;
          trustDomain: string;
        },
        cmd: Command,
      ) => {
        // commander maps --no-checkpoints onto `checkpoints: false`; a file given is a string.
        const required = opts.checkpoints !== false;
        const checkpointFile = typeof opts.checkpoints === 'string' ? opts.checkpoints : undefined;
        const out = outputOf(cmd);
        const { table, close } = openAudit(opts.db);
        try {
          // Beside a broker's database, or in a console's data folder (`<console dir>/tls/`).
          const candidates = [
            join(dirname(opts.db), 'root.pem'),
            join(dirname(opts.db), 'tls', 'root.pem'),
          ];
          const rootFile = opts.root ?? candidates.find((f) => existsSync(f)) ?? candidates[0]!;
          const checkpoints = [
            ...table.checkpoints(),
            ...(checkpointFile
              ? readFileSync(checkpointFile, 'utf8')
                  .split('\n')
                  .map((l) => l.trim())
                  .filter(Boolean)
              : []),
          ];
          let trust: TrustStore | undefined;
          if (existsSync(rootFile)) {
            const root = readFileSync(rootFile, 'utf8');
            trust = new TrustStore({
              trustDomain: trustDomainOfRoot(root, opts.trustDomain),
              root,
            });
          } else if (opts.root) {
            throw new BrokerError('AUDIT_UNAVAILABLE', `no root certificate at ${opts.root}`);
          }
          if (!trust && (required || opts.witness))
            throw new BrokerError(
              'AUDIT_UNAVAILABLE',
              `no root certificate at ${rootFile} to check the signed checkpoints: give --root, or --no-checkpoints to check the chain alone`,
            );
          const verifyCheckpoint = async (jws: string) => {
            const v = await verifyJws(jws, trust!, { typ: CHECKPOINT_JWS_TYPE });
            const cp = JSON.parse(Buffer.from(v.payload).toString('utf8')) as AuditCheckpoint;
            if (cp.log !== v.signer.identityString)
              throw new Error(`signed by ${v.signer.identityString}, not by ${cp.log}`);
            return cp;
          };
          let witnessed = 0;
          if (opts.witness) {
            const copies = await readWitness(opts.witness);
            const log = opts.log ?? (await logOf(checkpoints, verifyCheckpoint)) ?? onlyLog(copies);
            for (const c of copies.filter((c) => c.log === log)) {
              await checkWitness(c, trust!);
              checkpoints.push(c.checkpoint);
              witnessed++;
            }
          }
          const report = await verifyAudit(
            table.iterate(),
            trust ? checkpoints : [],
            verifyCheckpoint,
            { requireCheckpoints: required },
          );
          const note = trust
            ? `${report.checkpoints} signed checkpoint(s) checked${opts.witness ? `, ${witnessed} of them countersigned by the witness` : ''}`
            : `checkpoints NOT checked (--no-checkpoints): no root certificate`;
          out.result(
            report.ok
              ? `Audit OK: ${report.entries} entries, head ${report.head}; ${note}`
              : `Audit TAMPERED (${report.entries} entries; ${note}):\n${report.problems.map((p) => `  - ${p.message}`).join('\n')}`,
            { ...report, checkpointsChecked: Boolean(trust), witnessed },
          );
          if (!report.ok)
            throw new BrokerError(
              'AUDIT_TAMPERED',
              `the audit fails verification (${report.problems.length} problem(s)); first at entry ${report.problems[0]!.seq}`,
            );
        } finally {
          close();
        }
      },
    );

  group
    .command('report')
    .description(
      'who looked up a person or vehicle and why (--subject), what an identity looked up (--actor), volumes per identity and agency (--volumes), lookups that matched nothing (--no-results)',
    )
    .requiredOption('--db <file>', "the broker's or console's database")
    .option(
      '--subject <id>',
      'a record, alert or operator, e.g. person:MH-000123 or vehicle:MH12AB1234',
    )
    .option('--actor <identity>', 'e.g. agency/CBI/DELHI-HQ')
    .option(
      '--action <action>',
      'e.g. lookup.person (a prefix ending in . takes a family: lookup.)',
    )
    .addOption(
      new Option('--volumes <period>', 'counts per identity and agency per period').choices([
        'day',
        'month',
      ]),
    )
    .option('--no-results', 'only lookups that matched nothing')
    .option('--from <time>', 'from this ISO time')
    .option('--to <time>', 'before this ISO time')
    .option('--limit <n>', 'at most this many entries', intOption('--limit'), 1000)
    .action(
      (
        opts: {
          db: string;
          subject?: string;
          actor?: string;
          action?: string;
          volumes?: 'day' | 'month';
          results: boolean;
          from?: string;
          to?: string;
          limit: number;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const time = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          const d = new Date(v);
          if (Number.isNaN(d.getTime()))
            throw new BrokerError(
              'FIELD_INVALID',
              `${flag} must be an ISO time, not ${JSON.stringify(v)}`,
            );
          return d;
        };
        const from = time(opts.from, '--from');
        const to = time(opts.to, '--to');
        const { table, close } = openAudit(opts.db);
        try {
          const prefix = opts.action?.endsWith('.') ? opts.action : undefined;
          let entries = table.find({
            ...(opts.subject ? { subject: opts.subject } : {}),
            ...(opts.actor ? { actor: opts.actor } : {}),
            ...(opts.action && !prefix ? { action: opts.action } : {}),
            ...(prefix ? { actionPrefix: prefix } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(!opts.results && !opts.action ? { actionPrefix: 'lookup.' } : {}),
            limit: opts.volumes ? 10_000_000 : opts.limit,
          });
          if (!opts.results) entries = entries.filter((e) => e.body.results === 0);
          if (opts.volumes) {
            const len = opts.volumes === 'day' ? 10 : 7;
            const rows = new Map<
              string,
              { period: string; actor: string; agency: string; count: number }
            >();
            for (const e of entries) {
              const period = e.body.at.slice(0, len);
              const parts = e.body.actor.split('/');
              const agency =
                parts[0] === 'agency' ? `agency/${parts[1]}` : parts.slice(0, 2).join('/');
              const k = `${period}|${e.body.actor}`;
              const r = rows.get(k) ?? { period, actor: e.body.actor, agency, count: 0 };
              r.count++;
              rows.set(k, r);
            }
            const list = [...rows.values()].sort(
              (a, b) => a.period.localeCompare(b.period) || b.count - a.count,
            );
            const byAgency = new Map<string, number>();
            for (const r of list)
              byAgency.set(
                `${r.period}|${r.agency}`,
                (byAgency.get(`${r.period}|${r.agency}`) ?? 0) + r.count,
              );
            out.result(
              [
                `Volumes per ${opts.volumes} (${entries.length} entries):`,
                ...list.map((r) => `  ${r.period}  ${String(r.count).padStart(7)}  ${r.actor}`),
                'Per agency / state:',
                ...[...byAgency].map(([k, n]) => `  ${k.replace('|', '  ')}  ${n}`),
              ].join('\n'),
              {
                volumes: list,
                agencies: [...byAgency].map(([k, count]) => {
                  const [period, agency] = k.split('|');
                  return { period, agency, count };
                }),
              },
            );
            return;
          }
          out.result(
            entries.length
              ? [`${entries.length} entries:`, ...entries.map(line)].join('\n')
              : 'No matching entries.',
            { entries: entries.map((e) => ({ seq: e.seq, hash: e.hash, ...e.body })) },
          );
        } finally {
          close();
        }
      },
    );
  return group;
}
