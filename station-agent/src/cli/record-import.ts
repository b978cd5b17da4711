// `cctns agent record import`: legacy records in bulk from CSV or JSON, a few puts in flight,
// progress on stderr, refused rows to a report that never stops the run.
import { writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parse as parseCsv, type CsvError, type InfoRecord } from 'csv-parse/sync';
import { readTextFile } from '@cctns/pki';
import type { Output } from '@cctns/pki/cli';
import type { Record as RecordMsg } from '@cctns/proto';
import { AgentError } from '../errors.js';
import type { RecordsClient } from '../query/client.js';
import {
  applyFields,
  COLUMNS,
  COMMON,
  emptyRecord,
  FIELDS,
  invalid,
  KINDS,
  list,
  LISTS,
  type RecordKind,
} from './record-fields.js';
import { BrokerRefusal, refusalOf } from './records-support.js';

/** One row of an import file: where it is, and its fields (or why it cannot be read). */
interface Row {
  line: number;
  values?: Record<string, unknown>;
  error?: string;
}

/** Line numbers (1-based) of the start of every top-level element of a JSON array text. */
function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let escaped = false;
  let expecting = false;
  for (const ch of text) {
    if (ch === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && expecting && !/\s/.test(ch) && ch !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expecting = true;
  }
  return lines;
}

function readJsonRows(file: string, text: string): Row[] {
  if (text.trimStart().startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (cause) {
      throw new AgentError(
        'INPUT_INVALID',
        `${file} is not valid JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const lines = arrayElementLines(text);
    return (items as unknown[]).map((v, i) => row(lines[i] ?? i + 1, v));
  }
  // JSON Lines: one object a line; a line that does not parse is one refused row.
  return text.split('\n').flatMap((l, i): Row[] => {
    if (!l.trim()) return [];
    try {
      return [row(i + 1, JSON.parse(l))];
    } catch (err) {
      return [{ line: i + 1, error: `not valid JSON: ${(err as Error).message}` }];
    }
  });
  function row(line: number, v: unknown): Row {
    return v && typeof v === 'object' && !Array.isArray(v)
      ? { line, values: v as Record<string, unknown> }
      : { line, error: 'not a JSON object' };
  }
}

/**
 * Reads a CSV file with a header row. Line numbers are where each record starts (a quoted field
 * may span lines), counted from csv-parse's byte offsets, which hold with CRLF files too.
 */
function readCsvRows(file: string, bytes: Buffer): { rows: Row[]; columns: string[] } {
  const events: Array<{ end: number; fields?: string[]; error?: string }> = [];
  try {
    parseCsv(bytes, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      on_record: (record: string[], info: InfoRecord) => {
        events.push({
          end: info.bytes,
          fields: record,
          // Set when the record has another number of fields than the header.
          ...((info.error as CsvError | undefined) ? { error: info.error.code } : {}),
        });
        return null;
      },
      on_skip: (err: CsvError | undefined) => {
        events.push({ end: -1, error: err?.message ?? 'cannot be read as CSV' });
      },
    });
  } catch (cause) {
    throw new AgentError(
      'INPUT_INVALID',
      `${file} cannot be read as CSV: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  let offset = 0;
  let line = 1;
  const startLine = () => {
    // Skip the line breaks of empty lines before the record, counting lines up to its start.
    while (offset < bytes.length && (bytes[offset] === 0x0a || bytes[offset] === 0x0d)) {
      if (bytes[offset] === 0x0a) line++;
      offset++;
    }
    return line;
  };
  const advance = (end: number) => {
    for (; offset < end; offset++) if (bytes[offset] === 0x0a) line++;
  };
  const header = events.shift();
  if (!header?.fields) throw new AgentError('INPUT_INVALID', `${file} has no header row`);
  advance(header.end);
  const columns = header.fields.map((c) =>
    c
      .trim()
      .replace(/^\uFEFF/, '')
      .toLowerCase(),
  );
  const unknown = columns.filter((c) => !COLUMNS.has(c));
  if (unknown.length)
    throw new AgentError(
      'INPUT_INVALID',
      `${file}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')} (columns: ${[...COLUMNS].join(', ')})`,
    );
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice) throw new AgentError('INPUT_INVALID', `${file}: column ${twice} appears twice`);
  const rows = events.map((e): Row => {
    const at = startLine();
    if (e.end >= 0) advance(e.end);
    if (!e.fields) return { line: at, error: e.error! };
    if (e.fields.length !== columns.length)
      return {
        line: at,
        values: Object.fromEntries(columns.map((c, i) => [c, e.fields![i] ?? ''])),
        error: `has ${e.fields.length} fields, the header ${columns.length}`,
      };
    return { line: at, values: Object.fromEntries(columns.map((c, i) => [c, e.fields![i]!])) };
  });
  return { rows, columns };
}

/** Text or a list, as a field value of a row; anything else is refused. */
function fieldValue(column: string, v: unknown): string | string[] {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v) && LISTS.has(column) && v.every((x) => typeof x === 'string'))
    return v as string[];
  throw invalid(`column ${column}: ${JSON.stringify(v).slice(0, 40)} is not text`);
}

const DISTINCT: Record<RecordKind, string[]> = {
  person: ['name', 'aliases', 'father', 'gender', 'age', 'dob', 'marks', 'address'],
  vehicle: ['reg', 'chassis', 'engine', 'make', 'model', 'colour'],
  case: ['fir', 'sections', 'mo', 'place', 'occurred'],
};

/** The record a row stands for; its `ref`, or `<file>:<line>`, makes a re-run update it. */
function rowRecord(row: Row, file: string, kind: RecordKind | undefined): RecordMsg {
  const values: Record<string, string | string[]> = {};
  for (const [column, v] of Object.entries(row.values!)) {
    const c = column.toLowerCase();
    if (!COLUMNS.has(c)) throw invalid(`unknown field ${JSON.stringify(column)}`);
    values[c] = fieldValue(c, v);
  }
  const given = (c: string) => list(values[c] ?? '').length > 0;
  const named = String(values['kind'] ?? '')
    .trim()
    .toLowerCase();
  if (named && !KINDS.includes(named as RecordKind))
    throw invalid(`kind ${JSON.stringify(named)} is not person, vehicle or case`);
  let k = (named || kind) as RecordKind | undefined;
  if (!k) {
    const seen = KINDS.filter((x) => DISTINCT[x].some(given));
    if (seen.length !== 1)
      throw invalid(
        'cannot tell whether the row is a person, a vehicle or a case: give --kind or a kind column',
      );
    k = seen[0]!;
  }
  delete values['kind'];
  // Columns of other kinds may be present in a mixed file, but must be empty in this row.
  for (const c of Object.keys(values))
    if (
      !(FIELDS[k] as readonly string[]).includes(c) &&
      !(COMMON as readonly string[]).includes(c)
    ) {
      if (given(c)) throw invalid(`column ${c} does not apply to a ${k} record`);
      delete values[c];
    }
  const record = applyFields(emptyRecord(k), values, (f) => `column ${f}`);
  if (!record.externalRef) record.externalRef = `${basename(file)}:${row.line}`;
  return record;
}

/** A CSV field, quoted when it must be. */
function csvField(v: unknown): string {
  const s =
    v === undefined || v === null
      ? ''
      : Array.isArray(v)
        ? v.join(';')
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Progress of a long import on stderr: a bar redrawn in place on a terminal (rows, rate, time
 * left), else a plain line every `every` rows, so a log file does not fill with redraws.
 */
class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly tty: boolean,
    private readonly every: number,
    private readonly quiet: boolean,
  ) {}

  tick(): void {
    this.done++;
    if (this.quiet) return;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw >= 100 || this.done === this.total) {
        this.lastDraw = now;
        process.stderr.write(`\r\x1b[K${this.line(true)}`);
      }
    } else if (this.done % this.every === 0 && this.done < this.total) {
      process.stderr.write(`${this.line(false)}\n`);
    }
  }

  /** Clears the bar before the summary is printed. */
  end(): void {
    if (this.tty && !this.quiet) process.stderr.write('\r\x1b[K');
  }

  private line(bar: boolean): string {
    const secs = Math.max((Date.now() - this.start) / 1000, 0.001);
    const rate = this.done / secs;
    const left = rate > 0 ? (this.total - this.done) / rate : 0;
    const pct = this.total ? this.done / this.total : 1;
    const eta =
      left >= 60
        ? `${Math.floor(left / 60)}m${String(Math.round(left % 60)).padStart(2, '0')}s`
        : `${Math.ceil(left)}s`;
    const width = 30;
    const filled = Math.round(pct * width);
    return `${bar ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : 'import: '}${this.done}/${this.total} rows (${Math.floor(pct * 100)}%), ${rate.toFixed(rate < 10 ? 1 : 0)} rows/s, ETA ${eta}`;
  }
}

/** Refusals of the caller rather than of a row: every further row would meet them too. */
const STOPS = new Set(['UNAUTHENTICATED', 'CERT_REFUSED', 'IDENTITY_FORBIDDEN', 'INTERNAL']);

/** How `record import` runs. */
export interface ImportOptions {
  format?: 'csv' | 'json';
  kind?: RecordKind;
  report?: string;
  concurrency: number;
  progressEvery: number;
}

interface Refused {
  line: number;
  code: string;
  message: string;
  values?: Record<string, unknown>;
}

/** Imports a file of records through `client`; prints the summary, writes the report. */
export async function importFile(
  client: RecordsClient,
  file: string,
  opts: ImportOptions,
  out: Output,
): Promise<void> {
  const bytes = Buffer.from(readTextFile(file, 'the import file'), 'utf8');
  const ext = extname(file).toLowerCase();
  const format =
    opts.format ??
    (ext === '.csv'
      ? 'csv'
      : ['.json', '.jsonl', '.ndjson'].includes(ext) ||
          /^\s*[[{]/.test(bytes.toString('utf8', 0, 200))
        ? 'json'
        : 'csv');
  const { rows, columns } =
    format === 'csv'
      ? readCsvRows(file, bytes)
      : { rows: readJsonRows(file, bytes.toString('utf8')), columns: [] as string[] };
  const started = Date.now();
  const refused: Refused[] = [];
  let added = 0;
  let updated = 0;
  const progress = new Progress(
    rows.length,
    Boolean(process.stderr.isTTY),
    opts.progressEvery,
    out.json && !process.stderr.isTTY,
  );
  // A row's record, or its refusal; refs used twice in one file would race each other.
  const refs = new Map<string, number>();
  const work = rows.map((row) => {
    try {
      if (row.error) throw invalid(row.error);
      const record = rowRecord(row, file, opts.kind);
      const first = refs.get(record.externalRef);
      if (first !== undefined)
        throw invalid(`ref ${JSON.stringify(record.externalRef)} is already used on line ${first}`);
      refs.set(record.externalRef, row.line);
      return { row, record };
    } catch (err) {
      if (!(err instanceof AgentError)) throw err;
      refused.push({
        line: row.line,
        code: err.code,
        message: err.message,
        ...(row.values ? { values: row.values } : {}),
      });
      return { row, record: undefined };
    }
  });
  for (const w of work) if (!w.record) progress.tick();
  // A few puts in flight; a refusal is the row's, a broker that cannot be reached ends the run.
  const queue = work.filter((w) => w.record);
  let fatal: unknown;
  const worker = async () => {
    for (let w = queue.shift(); w && !fatal; w = queue.shift()) {
      try {
        const res = await client.put(w.record!);
        if (res.created) added++;
        else updated++;
      } catch (err) {
        const e = refusalOf(err, client.creds.broker);
        if (e instanceof BrokerRefusal && !STOPS.has(e.code))
          refused.push({
            line: w.row.line,
            code: e.code,
            message: e.message,
            ...(w.row.values ? { values: w.row.values } : {}),
          });
        else fatal ??= e;
      }
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  progress.end();
  refused.sort((a, b) => a.line - b.line);
  const reportFile =
    opts.report ??
    (refused.length
      ? join(resolve(file, '..'), `${basename(file, extname(file))}.refused.csv`)
      : undefined);
  if (reportFile) {
    const extra = columns.length
      ? columns
      : [...new Set(refused.flatMap((r) => Object.keys(r.values ?? {})))];
    writeFileSync(
      reportFile,
      [
        ['line', 'code', 'message', ...extra],
        ...refused.map((r) => [r.line, r.code, r.message, ...extra.map((c) => r.values?.[c])]),
      ]
        .map((fields) => fields.map(csvField).join(','))
        .join('\n') + '\n',
    );
  }
  const summary = {
    file,
    rows: rows.length,
    added,
    updated,
    refused: refused.length,
    report: reportFile ?? null,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  if (fatal) {
    const notStored = rows.length - added - updated - refused.length;
    if (fatal instanceof Error)
      fatal.message = `${fatal.message} — import stopped: ${added} added, ${updated} updated, ${refused.length} refused, ${notStored} not stored; running it again is safe (rows are matched by ref)`;
    throw fatal;
  }
  out.result(
    [
      `Imported ${file}: ${rows.length} rows, ${added} added, ${updated} updated, ${refused.length} refused (${summary.seconds} s)`,
      ...(refused.length
        ? [
            `Refused rows are in ${reportFile}:`,
            ...refused.slice(0, 10).map((r) => `  line ${r.line}: ${r.code}: ${r.message}`),
            ...(refused.length > 10 ? [`  … and ${refused.length - 10} more`] : []),
          ]
        : []),
    ].join('\n'),
    summary,
  );
}
