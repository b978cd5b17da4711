import { describe, expect, it } from 'vitest';
import {
  compareBinary,
  EXPORT_FORMAT,
  parseExportLine,
  readDump,
  sortedUnique,
  type ExportItem,
} from './export.js';

const header = { type: 'header', format: EXPORT_FORMAT, version: 1 };
const log = {
  type: 'log',
  seq: 1,
  kind: 'alert',
  id: 'A-1',
  sender: 'station/MH/PUNE/PS001',
  targets: ['state/MH'],
  expiresAt: null,
  createdAt: '2026-01-15T10:00:00.000Z',
  ref: null,
  jws: 'a.b.c',
};
const counts = (over: Record<string, number> = {}) => ({
  log: 0,
  receipt: 0,
  station: 0,
  stationCert: 0,
  notification: 0,
  record: 0,
  recordCounter: 0,
  audit: 0,
  auditCheckpoint: 0,
  ...over,
});

async function* items(...xs: unknown[]): AsyncGenerator<ExportItem> {
  for (const x of xs) yield x as ExportItem;
}

describe('the export format', () => {
  it('parses a line into a checked item and names the line when it is not one', () => {
    expect(parseExportLine(JSON.stringify(log), 2)).toEqual(log);
    const bad = (line: string) => {
      try {
        parseExportLine(line, 7);
      } catch (err) {
        expect(err).toMatchObject({ code: 'DUMP_INVALID' });
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{not json')).toBe('line 7: not JSON');
    expect(bad('[1]')).toBe('line 7: not a JSON object');
    expect(bad(JSON.stringify({ ...log, seq: 0 }))).toBe(
      'line 7: log.seq must be a positive integer',
    );
    expect(bad(JSON.stringify({ ...log, createdAt: '2026-01-15' }))).toMatch(
      /log\.createdAt must be an ISO 8601/,
    );
    expect(bad(JSON.stringify({ ...log, targets: ['x', { $gt: '' }] }))).toBe(
      'line 7: log.targets must be strings',
    );
    expect(bad(JSON.stringify({ ...log, id: { $where: 'true' } }))).toBe(
      'line 7: log.id must be a non-empty string',
    );
    expect(bad('{"type":"log","__proto__":{"admin":true}}')).toBe(
      'line 7: unexpected field __proto__',
    );
    expect(bad(JSON.stringify({ type: 'users' }))).toBe('line 7: unknown item type "users"');
    expect(bad(JSON.stringify({ type: 'constructor' }))).toBe(
      'line 7: unknown item type "constructor"',
    );
    const { jws: _gone, ...noJws } = log;
    expect(bad(JSON.stringify(noJws))).toBe('line 7: log without jws');
  });

  it('checks the frame: header first, sections in order, end counts matching, nothing after', async () => {
    const put: ExportItem[] = [];
    const report = await readDump(
      items(header, log, { type: 'end', counts: counts({ log: 1 }) }),
      (i) => {
        put.push(i);
      },
    );
    expect(put).toEqual([log]);
    expect(report.counts).toEqual(counts({ log: 1 }));
    const refused = (...xs: unknown[]) => expect(readDump(items(...xs), () => undefined)).rejects;
    await refused().toThrow('dump: empty');
    await refused(header, log).toThrow('no end line: the file was cut short');
    await refused(log).toThrow('a dump starts with a header line');
    await refused(header, { type: 'end', counts: counts({ log: 1 }) }).toThrow(
      'the end line counts 1 log items, the dump holds 0',
    );
    await refused(header, { type: 'end', counts: counts() }, log).toThrow(
      'data after the end line',
    );
    await refused(header, { type: 'recordCounter', kind: 'person', next: 2 }, log).toThrow(
      'log after recordCounter (sections out of order)',
    );
    await refused(header, header).toThrow('a second header');
  });

  it('sorts strings by code point, as SQLite and MongoDB do, not by UTF-16 unit', () => {
    const emoji = '\u{1F6A8}';
    const last = '\uFFFD';
    expect([emoji, last].sort()).toEqual([emoji, last]);
    expect([emoji, last].sort(compareBinary)).toEqual([last, emoji]);
    expect(sortedUnique(['n:b', 'n:a', 'n:b'])).toEqual(['n:a', 'n:b']);
  });
});
