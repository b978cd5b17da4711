import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain, type AuditBody } from '@cctns/pki';
import type { TargetKey } from '../routing/targets.js';
import { exportLine, type ExportItem } from './export.js';
import type {
  BrokerStore,
  LogEntry,
  NewLogEntry,
  NewRecord,
  ReceiptRecord,
  RecordFilter,
  StationRecord,
} from './store.js';

/**
 * The behaviour every BrokerStore implementation must share (SQLite today, MongoDB for
 * production). It speaks only through the BrokerStore interface, so any implementation can run
 * it: `storeConformance('MongoDB', async () => ({ store, cleanup }))` in that store's test file.
 *
 * `makeStore` returns a fresh, empty store for each test; the suite closes the store itself and
 * then calls `cleanup` to remove whatever the factory created (files, databases).
 */
export function storeConformance(
  name: string,
  makeStore: () => Promise<{ store: BrokerStore; cleanup: () => Promise<void> }>,
): void {
  describe(`BrokerStore conformance: ${name}`, () => {
    const T0 = new Date('2025-01-15T10:00:00.000Z');
    const at = (ms: number) => new Date(T0.getTime() + ms);
    const HOUR = 3_600_000;

    const PS1 = 'station/MH/PUNE/PS001';
    const PS2 = 'station/MH/PUNE/PS002';
    const NAGPUR = 'station/MH/NAGPUR/PS010';
    const BENGALURU = 'station/KA/BENGALURU/PS101';
    /** The keys a station listens on: itself, its district, its state and national. */
    const keysOf = (station: string): TargetKey[] => {
      const [, state, district] = station.split('/');
      return [station, `district/${state}/${district}`, `state/${state}`, 'national'];
    };

    let store: BrokerStore;
    let cleanup: () => Promise<void>;
    let closed: boolean;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
      await cleanup();
    });

    function entry(id: string, over: Partial<NewLogEntry> = {}): NewLogEntry {
      return {
        kind: 'alert',
        id,
        sender: PS1,
        targets: [PS2],
        expiresAt: null,
        createdAt: T0,
        ref: null,
        jws: `eyJhbGciOiJFUzI1NiJ9.${id}.c2lnbmF0dXJl`,
        ...over,
      };
    }

    function receiptFor(alertId: string, station: string, kind: ReceiptRecord['kind']) {
      const record: ReceiptRecord = { alertId, station, kind, at: at(60_000), note: '' };
      const logEntry = entry(`${alertId}/${station}/${kind}`, {
        kind: 'receipt',
        sender: station,
        targets: [PS1],
        ref: alertId,
        jws: `receipt.${alertId}.${station}.${kind}`,
      });
      return { logEntry, record };
    }

    const ids = (entries: LogEntry[]) => entries.map((e) => e.id);
    const byIdentity = (a: StationRecord, b: StationRecord) =>
      a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0;
    const sorted = (records: StationRecord[]) => [...records].sort(byIdentity);

    describe('append, get and head', () => {
      it('head is 0 for an empty store', async () => {
        expect(await store.head()).toBe(0);
      });

      it('append assigns positive, strictly increasing sequence numbers', async () => {
        const a = await store.append(entry('A-1'));
        const b = await store.append(entry('A-2'));
        const c = await store.append(entry('A-3'));
        expect(a).toEqual({ seq: a.seq, duplicate: false });
        expect(a.seq).toBeGreaterThan(0);
        expect(b.seq).toBeGreaterThan(a.seq);
        expect(c.seq).toBeGreaterThan(b.seq);
        expect(b.duplicate).toBe(false);
        expect(c.duplicate).toBe(false);
      });

      it('appendBatch appends in order as one append after another would: a repeat is a duplicate, receipts are recorded', async () => {
        await store.append(entry('A-0'));
        const { logEntry, record } = receiptFor('A-1', PS2, 'delivered');
        const results = await store.appendBatch([
          { entry: entry('A-1') },
          { entry: entry('A-2') },
          { entry: entry('A-0') },
          { entry: logEntry, receipt: record },
          { entry: entry('A-2') },
        ]);
        expect(results.map((r) => r.duplicate)).toEqual([false, false, true, false, true]);
        expect(results[1]!.seq).toBeGreaterThan(results[0]!.seq);
        expect(results[3]!.seq).toBeGreaterThan(results[1]!.seq);
        expect(results[4]!.seq).toBe(results[1]!.seq);
        expect(await store.head()).toBe(results[3]!.seq);
        expect((await store.receipts('A-1')).map((r) => r.station)).toEqual([PS2]);
        expect(await store.appendBatch([])).toEqual([]);
      });

      it('head is the sequence number of the last append', async () => {
        await store.append(entry('A-1'));
        const last = await store.append(entry('A-2'));
        expect(await store.head()).toBe(last.seq);
      });

      it('appending the same kind and id again is a duplicate with the original seq', async () => {
        const first = await store.append(entry('A-1'));
        await store.append(entry('A-2'));
        const again = await store.append(
          entry('A-1', { jws: 'a-different-signature', targets: ['national'] }),
        );
        expect(again).toEqual({ seq: first.seq, duplicate: true });
      });

      it('a duplicate append changes neither the stored entry nor the head', async () => {
        await store.append(entry('A-1'));
        const head = await store.head();
        await store.append(entry('A-1', { jws: 'a-different-signature', targets: ['national'] }));
        expect(await store.head()).toBe(head);
        const stored = await store.get('alert', 'A-1');
        expect(stored?.jws).toBe(entry('A-1').jws);
        expect(stored?.targets).toEqual([PS2]);
      });

      it('concurrent appends of one id store it once and all report its single seq', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.append(entry('A-RACE'))),
        );
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.seq)).size).toBe(1);
        expect(await store.head()).toBe(results[0]!.seq);
      });

      it('an alert and a receipt with the same id are different entries', async () => {
        const alert = await store.append(entry('SAME-ID'));
        const receipt = await store.append(entry('SAME-ID', { kind: 'receipt', jws: 'r.jws' }));
        expect(alert.duplicate).toBe(false);
        expect(receipt.duplicate).toBe(false);
        expect(receipt.seq).not.toBe(alert.seq);
        expect((await store.get('alert', 'SAME-ID'))?.jws).toBe(entry('SAME-ID').jws);
        expect((await store.get('receipt', 'SAME-ID'))?.jws).toBe('r.jws');
      });

      it('get returns every field of the entry as appended, with its seq', async () => {
        const e = entry('A-FULL', {
          sender: 'hq/MH/duty1',
          targets: ['district/MH/PUNE', 'station/KA/BENGALURU/PS101'],
          expiresAt: at(HOUR),
          createdAt: at(1_234),
          ref: 'A-EARLIER',
        });
        const { seq } = await store.append(e);
        expect(await store.get('alert', 'A-FULL')).toEqual({ ...e, seq });
      });

      it('get returns null fields as null', async () => {
        const { seq } = await store.append(entry('A-NULLS'));
        const got = await store.get('alert', 'A-NULLS');
        expect(got).toEqual({ ...entry('A-NULLS'), seq });
        expect(got?.expiresAt).toBeNull();
        expect(got?.ref).toBeNull();
      });

      it('append without createdAt stamps the time of the append', async () => {
        const { createdAt: _omitted, ...rest } = entry('A-NOW');
        const before = Date.now();
        await store.append(rest);
        const after = Date.now();
        const got = await store.get('alert', 'A-NOW');
        expect(got?.createdAt).toBeInstanceOf(Date);
        expect(got!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(got!.createdAt.getTime()).toBeLessThanOrEqual(after);
      });

      it('get returns undefined for an unknown id, or a known id of the other kind', async () => {
        await store.append(entry('A-1'));
        expect(await store.get('alert', 'NOPE')).toBeUndefined();
        expect(await store.get('receipt', 'A-1')).toBeUndefined();
      });
    });

    describe('entriesFor and countFor', () => {
      const all = { limit: 1_000, now: T0 };

      it('matches an entry by any one of its target keys', async () => {
        await store.append(entry('A-1', { targets: ['district/MH/PUNE', BENGALURU] }));
        expect(ids(await store.entriesFor(keysOf(PS2), 0, all))).toEqual(['A-1']);
        expect(ids(await store.entriesFor(keysOf(BENGALURU), 0, all))).toEqual(['A-1']);
        expect(ids(await store.entriesFor([BENGALURU], 0, all))).toEqual(['A-1']);
        expect(await store.entriesFor(keysOf(NAGPUR), 0, all)).toEqual([]);
      });

      it('returns whole entries equal to what get returns', async () => {
        await store.append(entry('A-1', { targets: [PS2], expiresAt: at(HOUR), ref: 'X' }));
        const [found] = await store.entriesFor([PS2], 0, all);
        expect(found).toEqual(await store.get('alert', 'A-1'));
      });

      it('returns an entry matched by several of the keys only once', async () => {
        await store.append(entry('A-1', { targets: [PS2, 'district/MH/PUNE', 'state/MH'] }));
        expect(ids(await store.entriesFor(keysOf(PS2), 0, all))).toEqual(['A-1']);
        expect(await store.countFor(keysOf(PS2), 0, T0)).toBe(1);
      });

      it('returns entries in log order whatever the order of the keys', async () => {
        await store.append(entry('A-1', { targets: ['national'] }));
        await store.append(entry('A-2', { targets: [PS2] }));
        await store.append(entry('A-3', { targets: ['state/MH'] }));
        await store.append(entry('A-4', { targets: ['district/MH/PUNE'] }));
        await store.append(entry('A-5', { targets: [PS2] }));
        const found = await store.entriesFor([...keysOf(PS2)].reverse(), 0, all);
        expect(ids(found)).toEqual(['A-1', 'A-2', 'A-3', 'A-4', 'A-5']);
        const seqs = found.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      });

      it('returns only entries after afterSeq', async () => {
        await store.append(entry('A-1'));
        const second = await store.append(entry('A-2'));
        await store.append(entry('A-3'));
        expect(ids(await store.entriesFor([PS2], second.seq, all))).toEqual(['A-3']);
        expect(await store.entriesFor([PS2], await store.head(), all)).toEqual([]);
      });

      it('returns at most limit entries, oldest first, so a reader can page through', async () => {
        for (let i = 1; i <= 5; i++) await store.append(entry(`A-${i}`));
        const page1 = await store.entriesFor([PS2], 0, { limit: 2, now: T0 });
        expect(ids(page1)).toEqual(['A-1', 'A-2']);
        const page2 = await store.entriesFor([PS2], page1[1]!.seq, { limit: 2, now: T0 });
        expect(ids(page2)).toEqual(['A-3', 'A-4']);
        const page3 = await store.entriesFor([PS2], page2[1]!.seq, { limit: 2, now: T0 });
        expect(ids(page3)).toEqual(['A-5']);
      });

      it('excludes entries that expire at or before now and keeps those that never expire', async () => {
        await store.append(entry('EXPIRED', { expiresAt: at(-1) }));
        await store.append(entry('EXPIRES-NOW', { expiresAt: T0 }));
        await store.append(entry('LATER', { expiresAt: at(1) }));
        await store.append(entry('NEVER', { expiresAt: null }));
        expect(ids(await store.entriesFor([PS2], 0, all))).toEqual(['LATER', 'NEVER']);
        expect(await store.countFor([PS2], 0, T0)).toBe(2);
      });

      it('judges expiry against the given now, not the wall clock', async () => {
        await store.append(entry('A-1', { expiresAt: at(HOUR) }));
        expect(ids(await store.entriesFor([PS2], 0, { limit: 10, now: at(HOUR - 1) }))).toEqual([
          'A-1',
        ]);
        expect(await store.entriesFor([PS2], 0, { limit: 10, now: at(HOUR) })).toEqual([]);
      });

      it('returns [] and counts 0 when no keys are given', async () => {
        await store.append(entry('A-1', { targets: ['national'] }));
        expect(await store.entriesFor([], 0, all)).toEqual([]);
        expect(await store.countFor([], 0, T0)).toBe(0);
      });

      it('a broadcast to state/MH is one entry that every MH station finds by its own keys', async () => {
        const { seq } = await store.append(entry('BROADCAST', { targets: ['state/MH'] }));
        expect(await store.head()).toBe(seq);
        expect(await store.countFor(['state/MH'], 0, T0)).toBe(1);
        for (const station of [PS1, PS2, NAGPUR]) {
          const found = await store.entriesFor(keysOf(station), 0, all);
          expect(found.map((e) => [e.id, e.seq])).toEqual([['BROADCAST', seq]]);
        }
        expect(await store.entriesFor(keysOf(BENGALURU), 0, all)).toEqual([]);
      });

      it('a broadcast is appended once: the next append follows it directly', async () => {
        const b = await store.append(entry('BROADCAST', { targets: ['state/MH', 'national'] }));
        const next = await store.append(entry('NEXT'));
        expect(await store.countFor(['state/MH', 'national'], 0, T0)).toBe(1);
        expect(await store.countFor(keysOf(BENGALURU), 0, T0)).toBe(1);
        expect(ids(await store.entriesFor(keysOf(PS2), b.seq - 1, all))).toEqual([
          'BROADCAST',
          'NEXT',
        ]);
        expect(await store.head()).toBe(next.seq);
      });

      it('countFor agrees with entriesFor for every key set, cursor and time', async () => {
        await store.append(entry('A-1', { targets: ['national'] }));
        await store.append(entry('A-2', { targets: [PS2], expiresAt: at(HOUR) }));
        await store.append(entry('A-3', { targets: ['state/KA'] }));
        await store.append(entry('A-4', { targets: ['district/MH/PUNE'], expiresAt: at(-1) }));
        await store.append(entry('A-5', { targets: [PS1, NAGPUR] }));
        const head = await store.head();
        const counts: number[] = [];
        for (const keys of [keysOf(PS1), keysOf(PS2), keysOf(BENGALURU), [NAGPUR], ['x']])
          for (const after of [0, head - 3, head])
            for (const now of [T0, at(2 * HOUR)]) {
              const listed = await store.entriesFor(keys, after, { limit: 1_000, now });
              const counted = await store.countFor(keys, after, now);
              expect(counted, `${keys.join(' ')} after ${after} at ${now.toISOString()}`).toBe(
                listed.length,
              );
              counts.push(counted);
            }
        expect(await store.countFor(keysOf(PS2), 0, T0)).toBe(2);
        expect(await store.countFor(keysOf(PS2), 0, at(2 * HOUR))).toBe(1);
        expect(await store.countFor(keysOf(PS1), 0, T0)).toBe(2);
        expect(Math.max(...counts)).toBeGreaterThan(0);
      });
    });

    describe('receipts', () => {
      it('appendReceipt appends the log entry and records the receipt with kind, at and note', async () => {
        await store.append(entry('A-1'));
        const { logEntry, record } = receiptFor('A-1', PS2, 'acknowledged');
        record.note = 'team dispatched';
        const result = await store.appendReceipt(logEntry, record);
        expect(result.duplicate).toBe(false);
        expect(result.seq).toBe(await store.head());
        expect(await store.get('receipt', logEntry.id)).toEqual({ ...logEntry, seq: result.seq });
        expect(await store.receipts('A-1')).toEqual([
          {
            alertId: 'A-1',
            station: PS2,
            kind: 'acknowledged',
            at: at(60_000),
            note: 'team dispatched',
          },
        ]);
      });

      it('appendReceipt is idempotent: the same receipt again returns the original seq and records nothing new', async () => {
        const { logEntry, record } = receiptFor('A-1', PS2, 'read');
        const first = await store.appendReceipt(logEntry, record);
        const again = await store.appendReceipt(
          { ...logEntry, jws: 'resent.jws' },
          { ...record, at: at(120_000), note: 'resent' },
        );
        expect(again).toEqual({ seq: first.seq, duplicate: true });
        expect(await store.head()).toBe(first.seq);
        expect(await store.receipts('A-1')).toEqual([{ ...record }]);
        expect((await store.get('receipt', logEntry.id))?.jws).toBe(logEntry.jws);
      });

      it('appendReceipt records no receipt when its log entry is already in the log', async () => {
        const { logEntry, record } = receiptFor('A-1', PS2, 'delivered');
        const plain = await store.append(logEntry);
        const result = await store.appendReceipt(logEntry, record);
        expect(result).toEqual({ seq: plain.seq, duplicate: true });
        expect(await store.receipts('A-1')).toEqual([]);
      });

      it('concurrent copies of one receipt make one entry and one record', async () => {
        const { logEntry, record } = receiptFor('A-1', PS2, 'delivered');
        const results = await Promise.all(
          Array.from({ length: 6 }, () => store.appendReceipt(logEntry, record)),
        );
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.seq)).size).toBe(1);
        expect(await store.receipts('A-1')).toHaveLength(1);
      });

      it('receipts keeps each station and kind apart and only for the asked alert', async () => {
        const wanted = [
          receiptFor('A-1', PS2, 'delivered'),
          receiptFor('A-1', PS2, 'read'),
          receiptFor('A-1', PS2, 'acknowledged'),
          receiptFor('A-1', NAGPUR, 'delivered'),
        ];
        for (const r of wanted) await store.appendReceipt(r.logEntry, r.record);
        const other = receiptFor('A-2', PS2, 'delivered');
        await store.appendReceipt(other.logEntry, other.record);
        const key = (r: ReceiptRecord) => `${r.station} ${r.kind}`;
        const got = [...(await store.receipts('A-1'))].sort((a, b) =>
          key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
        );
        expect(got).toEqual(wanted.map((r) => r.record).sort((a, b) => (key(a) < key(b) ? -1 : 1)));
        expect(await store.receipts('A-2')).toEqual([other.record]);
      });

      it('receipts is empty for an alert without receipts', async () => {
        await store.append(entry('A-1'));
        expect(await store.receipts('A-1')).toEqual([]);
      });

      it('a receipt entry is delivered to its targets like any entry', async () => {
        const { logEntry, record } = receiptFor('A-1', PS2, 'read');
        const { seq } = await store.appendReceipt(logEntry, record);
        const found = await store.entriesFor([PS1], 0, { limit: 10, now: T0 });
        expect(found.map((e) => [e.kind, e.id, e.seq, e.ref])).toEqual([
          ['receipt', logEntry.id, seq, 'A-1'],
        ]);
      });
    });

    describe('stations', () => {
      it('touchStation creates a station on first sight', async () => {
        await store.touchStation(PS1, { online: true, certNotAfter: at(90 * 24 * HOUR), at: T0 });
        expect(await store.stations()).toEqual([
          {
            identity: PS1,
            online: true,
            lastSeen: T0,
            cursor: 0,
            certNotAfter: at(90 * 24 * HOUR),
          },
        ]);
      });

      it('touchStation without certNotAfter creates a station with certNotAfter null', async () => {
        await store.touchStation(PS1, { online: false, at: T0 });
        expect(await store.stations()).toEqual([
          { identity: PS1, online: false, lastSeen: T0, cursor: 0, certNotAfter: null },
        ]);
      });

      it('touchStation updates online and lastSeen and keeps certNotAfter when not given', async () => {
        const notAfter = at(30 * 24 * HOUR);
        await store.touchStation(PS1, { online: true, certNotAfter: notAfter, at: T0 });
        await store.touchStation(PS1, { online: false, at: at(HOUR) });
        expect(await store.stations()).toEqual([
          { identity: PS1, online: false, lastSeen: at(HOUR), cursor: 0, certNotAfter: notAfter },
        ]);
        await store.touchStation(PS1, { online: true, at: at(2 * HOUR) });
        expect(await store.stations()).toEqual([
          {
            identity: PS1,
            online: true,
            lastSeen: at(2 * HOUR),
            cursor: 0,
            certNotAfter: notAfter,
          },
        ]);
      });

      it('touchStation replaces certNotAfter when a renewed certificate is given', async () => {
        await store.touchStation(PS1, { online: true, certNotAfter: at(HOUR), at: T0 });
        await store.touchStation(PS1, { online: true, certNotAfter: at(99 * HOUR), at: at(1) });
        expect((await store.stations())[0]?.certNotAfter).toEqual(at(99 * HOUR));
      });

      it('touchStation keeps the cursor', async () => {
        await store.touchStation(PS1, { online: true, at: T0 });
        await store.advanceCursor(PS1, 7);
        await store.touchStation(PS1, { online: false, at: at(1) });
        expect((await store.stations())[0]?.cursor).toBe(7);
      });

      it('advanceCursor moves the cursor forward and never back', async () => {
        await store.touchStation(PS1, { online: true, at: T0 });
        await store.advanceCursor(PS1, 5);
        expect((await store.stations())[0]?.cursor).toBe(5);
        await store.advanceCursor(PS1, 3);
        expect((await store.stations())[0]?.cursor).toBe(5);
        await store.advanceCursor(PS1, 5);
        expect((await store.stations())[0]?.cursor).toBe(5);
        await store.advanceCursor(PS1, 12);
        expect((await store.stations())[0]?.cursor).toBe(12);
      });

      it('advanceCursors moves several cursors forward in one call, never back', async () => {
        await store.touchStation(PS1, { online: true, at: T0 });
        await store.advanceCursor(PS1, 10);
        await store.advanceCursors([
          { identity: PS1, seq: 4 },
          { identity: PS2, seq: 6 },
        ]);
        await store.advanceCursors([]);
        const byId = new Map((await store.stations()).map((s) => [s.identity, s.cursor]));
        expect(byId.get(PS1)).toBe(10);
        expect(byId.get(PS2)).toBe(6);
      });

      it('advanceCursor changes only the cursor of that station', async () => {
        const notAfter = at(24 * HOUR);
        await store.touchStation(PS1, { online: false, certNotAfter: notAfter, at: T0 });
        await store.touchStation(PS2, { online: true, at: T0 });
        await store.advanceCursor(PS1, 4);
        expect(sorted(await store.stations())).toEqual([
          { identity: PS1, online: false, lastSeen: T0, cursor: 4, certNotAfter: notAfter },
          { identity: PS2, online: true, lastSeen: T0, cursor: 0, certNotAfter: null },
        ]);
      });

      it('stations() without a prefix lists every station', async () => {
        for (const s of [PS1, BENGALURU, NAGPUR, 'hq/MH/duty1'])
          await store.touchStation(s, { online: true, at: T0 });
        expect((await store.stations()).map((s) => s.identity).sort()).toEqual(
          [PS1, BENGALURU, NAGPUR, 'hq/MH/duty1'].sort(),
        );
      });

      it('stations(prefix) returns only the identities that start with the prefix', async () => {
        for (const s of [PS1, PS2, NAGPUR, BENGALURU, 'station/MH/PUNE2/PS1'])
          await store.touchStation(s, { online: true, at: T0 });
        const list = async (prefix: string) =>
          (await store.stations(prefix)).map((s) => s.identity).sort();
        expect(await list('station/MH/PUNE/')).toEqual([PS1, PS2]);
        expect(await list('station/MH/')).toEqual(
          [PS1, PS2, NAGPUR, 'station/MH/PUNE2/PS1'].sort(),
        );
        expect(await list('station/KA/')).toEqual([BENGALURU]);
        expect(await list('station/TN/')).toEqual([]);
        expect(await list(PS1)).toEqual([PS1]);
      });

      it('stations(prefix) matches the prefix case-sensitively', async () => {
        await store.touchStation(PS1, { online: true, at: T0 });
        expect(await store.stations('station/mh/')).toEqual([]);
        expect(await store.stations('STATION/MH/')).toEqual([]);
        expect(await store.stations('station/MH/')).toHaveLength(1);
      });

      it("stations(prefix) treats '%', '_' and '\\' in the prefix literally", async () => {
        const odd = [
          'station/MH/A_B/PS1',
          'station/MH/AXB/PS1',
          'station/MH/A%/PS1',
          'station/MH/AZZZ/PS1',
          'station/MH/A\\B/PS1',
          'station/MH/AQB/PS1',
        ];
        for (const s of odd) await store.touchStation(s, { online: true, at: T0 });
        const list = async (prefix: string) =>
          (await store.stations(prefix)).map((s) => s.identity);
        expect(await list('station/MH/A_B/')).toEqual(['station/MH/A_B/PS1']);
        expect(await list('station/MH/A%')).toEqual(['station/MH/A%/PS1']);
        expect(await list('station/MH/A\\B/')).toEqual(['station/MH/A\\B/PS1']);
        expect(await list('station/MH/%')).toEqual([]);
        expect(await list('station/MH/_')).toEqual([]);
      });

      it('resetPresence marks every station offline and keeps everything else', async () => {
        await store.touchStation(PS1, { online: true, certNotAfter: at(HOUR), at: T0 });
        await store.touchStation(PS2, { online: true, at: at(1) });
        await store.touchStation(BENGALURU, { online: false, at: at(2) });
        await store.advanceCursor(PS2, 9);
        await store.resetPresence();
        expect(sorted(await store.stations())).toEqual(
          sorted([
            { identity: PS1, online: false, lastSeen: T0, cursor: 0, certNotAfter: at(HOUR) },
            { identity: PS2, online: false, lastSeen: at(1), cursor: 9, certNotAfter: null },
            { identity: BENGALURU, online: false, lastSeen: at(2), cursor: 0, certNotAfter: null },
          ]),
        );
      });

      it('resetPresence on an empty directory does nothing', async () => {
        await store.resetPresence();
        expect(await store.stations()).toEqual([]);
      });
    });

    describe('Unicode', () => {
      const HINDI = 'चोरी की मोटरसाइकिल — संदिग्ध रमेश कुमार';
      const TAMIL = 'திருடப்பட்ட வாகனம் சென்னை';
      const EMOJI = '🚨 अलर्ट';

      it('Hindi and Tamil text in the jws and sender round-trips through get and entriesFor', async () => {
        const jws = `{"headline":"${HINDI}","description":"${TAMIL}","tag":"${EMOJI}"}`;
        const sender = 'hq/TN/அதிகாரி-राम';
        const e = entry('U-1', { jws, sender, targets: ['state/TN'] });
        const { seq } = await store.append(e);
        const got = await store.get('alert', 'U-1');
        expect(got).toEqual({ ...e, seq });
        expect(got?.jws).toBe(jws);
        expect(got?.sender).toBe(sender);
        const [listed] = await store.entriesFor(['state/TN'], 0, { limit: 1, now: T0 });
        expect(listed?.jws).toBe(jws);
        expect(listed?.sender).toBe(sender);
      });

      it('a Hindi acknowledgement note round-trips through receipts', async () => {
        const { logEntry, record } = receiptFor('A-1', PS2, 'acknowledged');
        record.note = `टीम रवाना — ${TAMIL}`;
        await store.appendReceipt(logEntry, record);
        expect((await store.receipts('A-1'))[0]?.note).toBe(`टीम रवाना — ${TAMIL}`);
      });
    });

    describe('close', () => {
      it('close resolves once the store is done', async () => {
        await store.append(entry('A-1'));
        closed = true;
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    it('lists every entry after a sequence, expired ones and receipts included, for supervision', async () => {
      const e = (id: string, kind: 'alert' | 'receipt', expiresAt: Date | null) => ({
        kind,
        id,
        sender: PS1,
        targets: [PS2],
        expiresAt,
        createdAt: at(0),
        ref: null,
        jws: `jws-${id}`,
      });
      const a = await store.append(e('a', 'alert', at(-HOUR)));
      await store.append(e('a/r', 'receipt', null));
      await store.append(e('b', 'alert', null));
      expect((await store.entriesAfter(0, 10)).map((x) => x.id)).toEqual(['a', 'a/r', 'b']);
      expect((await store.entriesAfter(a.seq, 1)).map((x) => x.id)).toEqual(['a/r']);
    });

    it('lists recent unexpired alerts, oldest first, without receipts', async () => {
      const entry = (
        id: string,
        createdAt: Date,
        expiresAt: Date | null,
        kind: 'alert' | 'receipt' = 'alert',
      ) => ({
        kind,
        id,
        sender: PS1,
        targets: ['state/MH'],
        expiresAt,
        createdAt,
        ref: null,
        jws: `jws-${id}`,
      });
      await store.append(entry('old', at(-2 * HOUR), null));
      await store.append(entry('fresh', at(0), null));
      await store.append(entry('expired', at(1000), at(2000)));
      await store.append(entry('fresh/r', at(3000), null, 'receipt'));
      await store.append(entry('later', at(4000), at(10 * HOUR)));
      expect((await store.recentAlerts(at(-HOUR), at(5000), 10)).map((e) => e.id)).toEqual([
        'fresh',
        'later',
      ]);
      expect(await store.recentAlerts(at(-HOUR), at(5000), 1)).toHaveLength(1);
    });

    describe('notifications', () => {
      const base = (
        key: string,
        over: Partial<{ alertId: string; channel: 'sms' | 'email'; nextAttemptAt: Date }> = {},
      ) => ({
        key,
        alertId: over.alertId ?? 'A1',
        station: PS1,
        contactId: 'sho-ps001',
        channel: over.channel ?? ('sms' as const),
        to: '+919800000001',
        subject: 'अलर्ट',
        text: 'Wanted: राम कुमार',
        nextAttemptAt: over.nextAttemptAt ?? T0,
        createdAt: T0,
      });

      it('queues a notification once per key, across repeated enqueues', async () => {
        expect(await store.enqueueNotification(base('A1|sho|sms'))).toBe(true);
        expect(await store.enqueueNotification(base('A1|sho|sms'))).toBe(false);
        expect(await store.notifications()).toHaveLength(1);
      });

      it('returns only pending notifications that are due, oldest first', async () => {
        await store.enqueueNotification(base('late', { nextAttemptAt: at(HOUR) }));
        await store.enqueueNotification(base('now', { nextAttemptAt: at(0) }));
        await store.enqueueNotification(base('soon', { nextAttemptAt: at(60_000) }));
        expect((await store.dueNotifications(at(60_000), 10)).map((n) => n.key)).toEqual([
          'now',
          'soon',
        ]);
        await store.updateNotification('now', {
          state: 'sent',
          attempts: 1,
          providerId: 'SM1',
          updatedAt: at(1),
        });
        expect((await store.dueNotifications(at(2 * HOUR), 10)).map((n) => n.key)).toEqual([
          'soon',
          'late',
        ]);
        expect(await store.dueNotifications(at(2 * HOUR), 1)).toHaveLength(1);
      });

      it('records attempts, errors and delivery reports, and finds a notification by the vendor id', async () => {
        await store.enqueueNotification(base('k'));
        await store.updateNotification('k', {
          attempts: 1,
          nextAttemptAt: at(30_000),
          lastError: '429 Too Many Requests',
          updatedAt: at(1),
        });
        let n = (await store.notifications({ alertId: 'A1' }))[0]!;
        expect(n).toMatchObject({
          state: 'pending',
          attempts: 1,
          lastError: '429 Too Many Requests',
          nextAttemptAt: at(30_000),
        });
        await store.updateNotification('k', {
          state: 'sent',
          attempts: 2,
          providerId: 'SMabc',
          updatedAt: at(2),
        });
        await store.updateNotification('k', { state: 'delivered', updatedAt: at(3) });
        n = (await store.notificationByProviderId('SMabc'))!;
        expect(n).toMatchObject({
          key: 'k',
          state: 'delivered',
          attempts: 2,
          text: 'Wanted: राम कुमार',
          subject: 'अलर्ट',
          updatedAt: at(3),
        });
        expect(await store.notificationByProviderId('nope')).toBeUndefined();
        expect(await store.notifications({ alertId: 'other' })).toEqual([]);
      });
    });

    describe('audit', () => {
      const body = (i: number, over: Partial<AuditBody> = {}): AuditBody => ({
        at: at(i * 1000).toISOString(),
        actor: i % 2 ? 'agency/CBI/DELHI-HQ' : PS1,
        action: i % 3 ? 'lookup.person' : 'record.add',
        outcome: 'ok',
        subject: `person:${i % 2}`,
        purpose: { reference: 'FIR 1/2026', reason: 'investigation' },
        query: { name: 'राम कुमार' },
        ...over,
      });

      it('appends a gap-free hash chain, also under concurrent writers, that verifies', async () => {
        expect(await store.auditHead()).toEqual({ seq: 0, hash: '0'.repeat(64) });
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit(body(i + 1))));
        const entries = await store.auditEntries(0, 100);
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(verifyAuditChain(entries)).toMatchObject({ ok: true, entries: 20 });
        expect((await store.auditHead()).hash).toBe(entries.at(-1)!.hash);
        expect((await store.auditEntries(18, 10)).map((e) => e.seq)).toEqual([19, 20]);
        expect(entries.find((e) => e.body.query)!.body.query).toEqual({ name: 'राम कुमार' });
      });

      it('appends a batch in order in one call, chained exactly as single appends, beside concurrent writers', async () => {
        await store.appendAudit(body(1));
        const [batch] = await Promise.all([
          store.appendAudits([body(2), body(3), body(4)]),
          store.appendAudit(body(5)),
        ]);
        expect(batch.map((e) => e.body.at)).toEqual([2, 3, 4].map((i) => body(i).at));
        expect(batch[1]!.prevHash).toBe(batch[0]!.hash);
        expect(batch[2]!.prevHash).toBe(batch[1]!.hash);
        expect(await store.appendAudits([])).toEqual([]);
        const entries = await store.auditEntries(0, 100);
        expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(verifyAuditChain(entries)).toMatchObject({ ok: true, entries: 5 });
        // Consecutive, whichever writer went first.
        expect(batch.map((e) => e.seq - batch[0]!.seq)).toEqual([0, 1, 2]);
        expect(entries.filter((e) => batch.some((b) => b.seq === e.seq))).toEqual(batch);
      });

      it('finds entries by actor, action, subject and time, and keeps signed checkpoints', async () => {
        for (let i = 1; i <= 6; i++) await store.appendAudit(body(i));
        const seqs = async (f: Parameters<BrokerStore['findAudit']>[0]) =>
          (await store.findAudit(f)).map((e) => e.seq);
        expect(await seqs({ actor: 'agency/CBI/DELHI-HQ' })).toEqual([1, 3, 5]);
        expect(await seqs({ action: 'record.add' })).toEqual([3, 6]);
        expect(await seqs({ actionPrefix: 'lookup.' })).toEqual([1, 2, 4, 5]);
        expect(await seqs({ subject: 'person:0' })).toEqual([2, 4, 6]);
        expect(await seqs({ from: at(2000), to: at(4000) })).toEqual([2, 3]);
        expect(await seqs({ actor: '{"$gt": ""}' })).toEqual([]);
        await store.addAuditCheckpoint({ seq: 6, hash: 'h6', at: at(7000), jws: 'a.b.c' });
        await store.addAuditCheckpoint({ seq: 6, hash: 'h6', at: at(8000), jws: 'd.e.f' });
        expect(await store.auditCheckpoints()).toEqual(['a.b.c', 'd.e.f']);
      });
    });

    describe('station certificates', () => {
      it('keeps the latest chain a station linked with', async () => {
        expect(await store.stationCertificate(PS1)).toBeUndefined();
        await store.putStationCertificate(PS1, 'chain-1', at(HOUR));
        await store.putStationCertificate(PS1, 'chain-2', at(2 * HOUR));
        expect(await store.stationCertificate(PS1)).toBe('chain-2');
        expect(await store.stationCertificate(PS2)).toBeUndefined();
      });
    });

    describe('records', () => {
      const encode = (id: string, version: number) => new TextEncoder().encode(`${id}@${version}`);
      const person = (over: Partial<NewRecord> = {}): NewRecord => ({
        kind: 'person',
        owner: PS1,
        district: 'PUNE',
        status: 3,
        gender: 1,
        age: 34,
        keys: ['n:ram', 'n:kmr'],
        encode,
        at: T0,
        state: 'MH',
        ...over,
      });

      it('gives new records ids per kind, and changes them only by their owner at the version seen', async () => {
        expect(await store.putRecord(person())).toEqual({
          id: 'person:MH-1',
          version: 1,
          created: true,
        });
        expect((await store.putRecord(person())).id).toBe('person:MH-2');
        expect(
          (await store.putRecord(person({ kind: 'vehicle', keys: ['reg:MH12AB1234'] }))).id,
        ).toBe('vehicle:MH-1');
        expect(
          await store.putRecord(person({ id: 'person:MH-1', expectedVersion: 1, age: 35 })),
        ).toEqual({ id: 'person:MH-1', version: 2, created: false });
        const got = await store.getRecord('person:MH-1');
        expect(got).toMatchObject({ owner: PS1, version: 2, age: 35, kind: 'person' });
        expect(new TextDecoder().decode(got!.body)).toBe('person:MH-1@2');
        await expect(
          store.putRecord(person({ id: 'person:MH-1', expectedVersion: 1 })),
        ).rejects.toMatchObject({ code: 'RECORD_CONFLICT' });
        await expect(
          store.putRecord(person({ id: 'person:MH-1', expectedVersion: 2, owner: PS2 })),
        ).rejects.toMatchObject({ code: 'RECORD_FORBIDDEN' });
        await expect(
          store.putRecord(person({ id: 'person:MH-99', expectedVersion: 1 })),
        ).rejects.toMatchObject({ code: 'RECORD_UNKNOWN' });
        expect(await store.getRecord('person:MH-99')).toBeUndefined();
        expect(await store.countRecords()).toEqual({ person: 2, vehicle: 1, case: 0 });
      });

      it('updates by the owner’s external reference instead of adding twice (imports)', async () => {
        const a = await store.putRecord(person({ externalRef: 'legacy-42' }));
        const b = await store.putRecord(person({ externalRef: 'legacy-42', age: 40 }));
        expect(b).toEqual({ id: a.id, version: 2, created: false });
        const c = await store.putRecord(person({ externalRef: 'legacy-42', owner: PS2 }));
        expect(c.created).toBe(true);
        await expect(
          store.putRecord(person({ kind: 'vehicle', externalRef: 'legacy-42' })),
        ).rejects.toMatchObject({ code: 'FIELD_INVALID' });
        // The reference moves with an update by id.
        await store.putRecord(person({ id: a.id, expectedVersion: 2, externalRef: 'legacy-43' }));
        expect((await store.putRecord(person({ externalRef: 'legacy-43' }))).id).toBe(a.id);
        expect((await store.putRecord(person({ externalRef: 'legacy-42' }))).created).toBe(true);
      });

      it('pre-selects by keys and filters, with keys replaced on update and operator-looking values inert', async () => {
        const a = await store.putRecord(person());
        await store.putRecord(
          person({ keys: ['n:sunil'], gender: 2, age: 20, district: 'NAGPUR' }),
        );
        await store.putRecord(person({ keys: ['n:ram'], status: 5, age: 0 }));
        const ids = async (keys: string[], f: RecordFilter = {}) =>
          (await store.findRecords('person', keys, f, 100)).map((r) => r.id).sort();
        expect(await ids(['n:ram'])).toEqual(['person:MH-1', 'person:MH-3']);
        expect(await ids(['n:ram', 'n:sunil'], { district: 'NAGPUR' })).toEqual(['person:MH-2']);
        expect(await ids(['n:ram'], { status: 5 })).toEqual(['person:MH-3']);
        expect(await ids(['n:ram'], { ageFrom: 30, ageTo: 40 })).toEqual(['person:MH-1']);
        expect(await ids(['n:ram', 'n:sunil'], { gender: 2 })).toEqual(['person:MH-2']);
        expect(await store.findRecords('vehicle', ['n:ram'], {}, 10)).toEqual([]);
        expect(await ids([])).toEqual([]);
        expect(await ids(['{"$gt": ""}', "' OR 1=1 --"])).toEqual([]);
        await store.putRecord(person({ id: a.id, expectedVersion: 1, keys: ['n:rahul'] }));
        expect(await ids(['n:ram'])).toEqual(['person:MH-3']);
        expect(await ids(['n:rahul'])).toEqual([a.id]);
        // The candidate carrying more of the keys comes first.
        await store.putRecord(person({ keys: ['n:rahul', 'n:dravid'] }));
        const best = await store.findRecords('person', ['n:rahul', 'n:dravid'], {}, 1);
        expect(best.map((r) => r.id)).toEqual(['person:MH-4']);
      });

      it('keeps the names prepared with a put, replaced (or dropped) by an update', async () => {
        const a = await store.putRecord(person({ names: '{"v":1,"n":[]}' }));
        const b = await store.putRecord(person({ keys: ['n:sunil'] }));
        expect((await store.getRecord(a.id))?.names).toBe('{"v":1,"n":[]}');
        expect((await store.getRecord(b.id))?.names).toBeNull();
        const [found] = await store.findRecords('person', ['n:ram'], {}, 10);
        expect(found).toMatchObject({ id: a.id, names: '{"v":1,"n":[]}' });
        await store.putRecord(person({ id: a.id, expectedVersion: 1, names: 'रमेश' }));
        expect((await store.getRecord(a.id))?.names).toBe('रमेश');
        await store.putRecord(person({ id: a.id, expectedVersion: 2 }));
        expect((await store.getRecord(a.id))?.names).toBeNull();
      });

      it('pre-selects from the rarest key first, at most perKey records of each key', async () => {
        for (let i = 1; i <= 6; i++) await store.putRecord(person({ keys: ['n:common'] }));
        await store.putRecord(person({ keys: ['n:common', 'n:rare'] })); // person:MH-7
        await store.putRecord(person({ keys: ['n:common'], district: 'NAGPUR' })); // person:MH-8
        const ids = async (keys: string[], limit: number, perKey?: number, f: RecordFilter = {}) =>
          (await store.findRecords('person', keys, f, limit, perKey)).map((r) => r.id);
        // The rare key's record first, then two of the common key's, in id order.
        expect(await ids(['n:common', 'n:rare'], 10, 2)).toEqual([
          'person:MH-7',
          'person:MH-1',
          'person:MH-2',
        ]);
        expect(await ids(['n:common', 'n:rare'], 2, 2)).toEqual(['person:MH-7', 'person:MH-1']);
        // Without a cap per key every record comes, the one under both keys first.
        const all = await ids(['n:common', 'n:rare'], 10);
        expect(all[0]).toBe('person:MH-7');
        expect([...all].sort()).toEqual([...Array(8).keys()].map((i) => `person:MH-${i + 1}`));
        // The cap counts only records that pass the filter.
        expect(await ids(['n:common'], 10, 2, { district: 'NAGPUR' })).toEqual(['person:MH-8']);
        // A key no record carries, or of another kind, brings nothing.
        expect(await ids(['n:none'], 10, 2)).toEqual([]);
        expect(await store.findRecords('vehicle', ['n:rare'], {}, 10, 2)).toEqual([]);
      });
    });

    describe('operator-looking input', () => {
      const INJECTIONS = [
        '{"$gt": ""}',
        '{"$ne": null}',
        '$where',
        'this.a == this.a',
        '.*',
        "' OR 1=1 --",
      ];

      it('matches only itself, in every lookup that takes a string', async () => {
        await store.append(entry('A-1'));
        await store.touchStation(PS1, { online: true, at: T0 });
        await store.putStationCertificate(PS1, 'chain', at(HOUR));
        const { logEntry, record } = receiptFor('A-1', PS2, 'read');
        await store.appendReceipt(logEntry, record);
        await store.enqueueNotification({
          key: 'A-1|sho|sms',
          alertId: 'A-1',
          station: PS1,
          contactId: 'sho',
          channel: 'sms',
          to: '+919800000001',
          subject: '',
          text: 't',
          nextAttemptAt: T0,
          createdAt: T0,
        });
        await store.updateNotification('A-1|sho|sms', { providerId: 'SM1', updatedAt: T0 });
        for (const s of INJECTIONS) {
          expect(await store.get('alert', s), s).toBeUndefined();
          expect(await store.entriesFor([s as TargetKey], 0, { limit: 10, now: T0 }), s).toEqual(
            [],
          );
          expect(await store.countFor([s as TargetKey], 0, T0), s).toBe(0);
          expect(await store.receipts(s), s).toEqual([]);
          expect(await store.stations(s), s).toEqual([]);
          expect(await store.stationCertificate(s), s).toBeUndefined();
          expect(await store.notifications({ alertId: s }), s).toEqual([]);
          expect(await store.notificationByProviderId(s), s).toBeUndefined();
          expect(await store.getRecord(s), s).toBeUndefined();
          expect(await store.findAudit({ subject: s, actionPrefix: s }), s).toEqual([]);
        }
        // …and an entry, a station or a target named like an operator is found by that name.
        const odd = await store.append(entry('{"$gt": ""}', { targets: ['$where' as TargetKey] }));
        expect((await store.get('alert', '{"$gt": ""}'))?.seq).toBe(odd.seq);
        expect(
          (await store.entriesFor(['$where' as TargetKey], 0, { limit: 10, now: T0 })).map(
            (e) => e.id,
          ),
        ).toEqual(['{"$gt": ""}']);
        await store.touchStation('station/MH/.*/PS1', { online: true, at: T0 });
        expect((await store.stations('station/MH/.*')).map((x) => x.identity)).toEqual([
          'station/MH/.*/PS1',
        ]);
        // '.' is a dot, not any character: PUNE does not start with it.
        expect((await store.stations('station/MH/.')).map((x) => x.identity)).toEqual([
          'station/MH/.*/PS1',
        ]);
      });
    });

    describe('export and import', () => {
      const encode = (id: string, version: number) =>
        new Uint8Array([0, 255, ...new TextEncoder().encode(`${id}@${version} रमेश`)]);
      const auditBody = (i: number): AuditBody => ({
        at: at(i * 1000).toISOString(),
        actor: i % 2 ? 'agency/CBI/DELHI-HQ' : PS1,
        action: i % 3 ? 'lookup.person' : 'record.add',
        outcome: i === 4 ? 'refused' : 'ok',
        subject: `person:MH-${i}`,
        purpose: { reference: 'FIR 12/2026', reason: 'investigation' },
        query: { name: 'रमेश कुमार', filters: { age: [30, 40] }, tricky: '{"$gt": ""}' },
        ...(i === 4 ? { code: 'GRANT_DENIED', message: 'no grant for KA' } : {}),
      });

      /** Puts something of every kind the store holds into it. */
      async function fill(s: BrokerStore): Promise<void> {
        await s.append(entry('A-1', { targets: ['state/MH', 'national'], expiresAt: at(HOUR) }));
        await s.append(entry('A-EXPIRED', { expiresAt: at(-HOUR), ref: 'A-1' }));
        await s.append(entry('U-1', { sender: 'hq/TN/அதிகாரி', jws: 'चोरी.🚨.sig' }));
        for (const [station, kind] of [
          [PS2, 'delivered'],
          [PS2, 'read'],
          [NAGPUR, 'acknowledged'],
        ] as const) {
          const r = receiptFor('A-1', station, kind);
          r.record.note = kind === 'acknowledged' ? 'टीम रवाना' : '';
          await s.appendReceipt(r.logEntry, r.record);
        }
        await s.touchStation(PS1, { online: true, certNotAfter: at(90 * 24 * HOUR), at: T0 });
        await s.touchStation(PS2, { online: false, at: at(5) });
        await s.advanceCursor(PS2, 2);
        await s.advanceCursor(BENGALURU, 1);
        await s.putStationCertificate(PS1, '-----BEGIN CERTIFICATE-----\nMIIB\n', at(HOUR));
        await s.enqueueNotification({
          key: 'A-1|sho|sms',
          alertId: 'A-1',
          station: PS2,
          contactId: 'sho-ps002',
          channel: 'sms',
          to: '+919800000002',
          subject: '',
          text: 'Wanted: राम कुमार',
          nextAttemptAt: T0,
          createdAt: T0,
        });
        await s.updateNotification('A-1|sho|sms', {
          state: 'delivered',
          attempts: 2,
          providerId: 'SM1',
          lastError: '429',
          updatedAt: at(9),
        });
        await s.enqueueNotification({
          key: 'A-1|sho|email',
          alertId: 'A-1',
          station: PS2,
          contactId: 'sho-ps002',
          channel: 'email',
          to: 'sho@mh.police.in',
          subject: 'अलर्ट',
          text: 'body',
          nextAttemptAt: at(60_000),
          createdAt: at(1),
        });
        const person = (over: Partial<NewRecord> = {}): NewRecord => ({
          kind: 'person',
          owner: PS1,
          district: 'PUNE',
          status: 3,
          gender: 1,
          age: 34,
          keys: ['n:ram', 'n:kmr', 'n:ram'],
          encode,
          at: T0,
          state: 'MH',
          ...over,
        });
        const a = await s.putRecord(person({ externalRef: 'legacy-1' }));
        await s.putRecord(person({ id: a.id, expectedVersion: 1, keys: ['n:ramesh', 'n:$where'] }));
        await s.putRecord(person({ keys: ['n:sunil'], age: 0, gender: 2 }));
        await s.putRecord(person({ kind: 'vehicle', keys: ['reg:MH12AB1234'] }));
        for (let i = 1; i <= 12; i++) await s.appendAudit(auditBody(i));
        await s.addAuditCheckpoint({ seq: 6, hash: 'h6', at: at(7000), jws: 'a.b.c' });
        await s.addAuditCheckpoint({ seq: 12, hash: 'h12', at: at(13_000), jws: 'd.e.f' });
      }

      async function dump(s: BrokerStore): Promise<ExportItem[]> {
        const items: ExportItem[] = [];
        for await (const item of s.exportAll()) items.push(item);
        return items;
      }

      async function* replay(items: readonly unknown[]): AsyncGenerator<ExportItem> {
        for (const i of items) yield structuredClone(i) as ExportItem;
      }

      /** A second fresh store for the import, closed and cleaned after the test. */
      const others: Array<{ store: BrokerStore; cleanup: () => Promise<void> }> = [];
      async function another(): Promise<BrokerStore> {
        const made = await makeStore();
        others.push(made);
        return made.store;
      }
      afterEach(async () => {
        for (const o of others.splice(0)) {
          await o.store.close();
          await o.cleanup();
        }
      });

      it('exports a header, every section in order with counts, and an end line', async () => {
        await fill(store);
        const items = await dump(store);
        expect(items[0]).toEqual({ type: 'header', format: 'cctns-broker-store', version: 1 });
        expect(items.at(-1)).toEqual({
          type: 'end',
          counts: {
            log: 6,
            receipt: 3,
            station: 3,
            stationCert: 1,
            notification: 2,
            record: 3,
            recordCounter: 2,
            audit: 12,
            auditCheckpoint: 2,
          },
        });
        const types = items.map((i) => i.type);
        expect([...new Set(types)]).toEqual([
          'header',
          'log',
          'receipt',
          'station',
          'stationCert',
          'notification',
          'record',
          'recordCounter',
          'audit',
          'auditCheckpoint',
          'end',
        ]);
        const record = items.find((i) => i.type === 'record' && i.id === 'person:MH-1');
        expect(record).toMatchObject({
          version: 2,
          externalRef: 'legacy-1',
          keys: ['n:$where', 'n:ramesh'],
          body: Buffer.from(encode('person:MH-1', 2)).toString('base64'),
        });
        expect(items.filter((i) => i.type === 'log').map((i) => i.seq)).toEqual(
          [...Array(6).keys()].map((k) => k + 1),
        );
      });

      it('export → import → export gives identical lines, and the imported store behaves the same', async () => {
        await fill(store);
        const first = await dump(store);
        const target = await another();
        const report = await target.importAll(replay(first));
        expect(report.counts).toEqual((first.at(-1) as { counts: unknown }).counts);
        expect(report.audit).toMatchObject({ entries: 12, chainOk: true, firstProblemSeq: null });
        const second = await dump(target);
        expect(second.map(exportLine)).toEqual(first.map(exportLine));

        expect(await target.head()).toBe(await store.head());
        expect(await target.get('alert', 'U-1')).toEqual(await store.get('alert', 'U-1'));
        expect(await target.entriesFor(keysOf(PS2), 0, { limit: 100, now: T0 })).toEqual(
          await store.entriesFor(keysOf(PS2), 0, { limit: 100, now: T0 }),
        );
        expect(await target.receipts('A-1')).toEqual(await store.receipts('A-1'));
        expect(sorted(await target.stations())).toEqual(sorted(await store.stations()));
        expect(await target.stationCertificate(PS1)).toBe(await store.stationCertificate(PS1));
        expect(await target.notifications()).toEqual(await store.notifications());
        expect(await target.notificationByProviderId('SM1')).toMatchObject({ key: 'A-1|sho|sms' });
        expect(await target.dueNotifications(at(HOUR), 10)).toEqual(
          await store.dueNotifications(at(HOUR), 10),
        );
        expect(await target.getRecord('person:MH-1')).toEqual(await store.getRecord('person:MH-1'));
        expect(await target.countRecords()).toEqual({ person: 2, vehicle: 1, case: 0 });
        expect(
          (await target.findRecords('person', ['n:$where', 'n:sunil'], {}, 10)).map((r) => r.id),
        ).toEqual(['person:MH-1', 'person:MH-2']);
        expect(await target.auditHead()).toEqual(await store.auditHead());
        expect(await target.auditEntries(0, 100)).toEqual(await store.auditEntries(0, 100));
        expect(verifyAuditChain(await target.auditEntries(0, 100))).toMatchObject({
          ok: true,
          entries: 12,
        });
        expect(await target.findAudit({ actor: PS1 })).toEqual(
          await store.findAudit({ actor: PS1 }),
        );
        expect(await target.auditCheckpoints()).toEqual(['a.b.c', 'd.e.f']);

        // It carries on where the source stopped: log, record ids and the audit chain.
        const next = await target.append(entry('A-NEXT'));
        expect(next).toEqual({ seq: (await store.head()) + 1, duplicate: false });
        expect((await target.append(entry('A-1'))).duplicate).toBe(true);
        const rec = await target.putRecord({
          kind: 'person',
          owner: PS2,
          district: 'PUNE',
          status: 1,
          gender: 1,
          age: 20,
          keys: ['n:x'],
          encode,
          at: T0,
          state: 'MH',
        });
        expect(rec.id).toBe('person:MH-3');
        await target.appendAudit(auditBody(13));
        const audit = await target.auditEntries(0, 100);
        expect(audit.map((e) => e.seq)).toEqual([...Array(13).keys()].map((k) => k + 1));
        expect(verifyAuditChain(audit)).toMatchObject({ ok: true, entries: 13 });
      });

      it('carries prepared names through a dump, and imports a dump made before names were kept', async () => {
        await fill(store);
        const withNames = await store.putRecord({
          kind: 'person',
          owner: PS1,
          district: 'PUNE',
          status: 3,
          gender: 1,
          age: 30,
          keys: ['n:sita'],
          names: '{"v":1,"n":[[["sita"],["sita"],[]]]}',
          encode,
          at: T0,
          state: 'MH',
        });
        const first = await dump(store);
        const records = first.filter((i) => i.type === 'record');
        expect(records.find((i) => i.id === withNames.id)).toMatchObject({
          names: '{"v":1,"n":[[["sita"],["sita"],[]]]}',
        });
        expect(records.filter((i) => i.names === null)).toHaveLength(records.length - 1);
        const target = await another();
        await target.importAll(replay(first));
        expect((await target.getRecord(withNames.id))?.names).toBe(
          '{"v":1,"n":[[["sita"],["sita"],[]]]}',
        );
        expect((await dump(target)).map(exportLine)).toEqual(first.map(exportLine));
        // A dump from before: record lines without the field import with no names.
        const old = first.map((i) => {
          if (i.type !== 'record') return i;
          const { names: _names, ...rest } = i;
          return rest;
        });
        const oldTarget = await another();
        await oldTarget.importAll(replay(old));
        expect((await oldTarget.getRecord(withNames.id))?.names).toBeNull();
        expect(
          (await oldTarget.findRecords('person', ['n:sita'], {}, 10)).map((r) => r.id),
        ).toEqual([withNames.id]);
      });

      it('an empty store exports a header and an end line only, and imports from it', async () => {
        const items = await dump(store);
        expect(items.map((i) => i.type)).toEqual(['header', 'end']);
        const target = await another();
        expect((await target.importAll(replay(items))).audit).toMatchObject({
          entries: 0,
          chainOk: true,
        });
        expect(await target.head()).toBe(0);
      });

      it('refuses to import into a store that holds data, and changes nothing', async () => {
        await fill(store);
        const items = await dump(store);
        const target = await another();
        await target.touchStation(PS1, { online: true, at: T0 });
        await expect(target.importAll(replay(items))).rejects.toMatchObject({
          code: 'STORE_NOT_EMPTY',
        });
        expect(await target.head()).toBe(0);
        expect(await target.stations()).toHaveLength(1);
        await expect(store.importAll(replay(items))).rejects.toMatchObject({
          code: 'STORE_NOT_EMPTY',
        });
      });

      it('refuses a cut, reordered, miscounted or malformed dump and leaves the store empty', async () => {
        await fill(store);
        const items = (await dump(store)) as unknown as Array<Record<string, unknown>>;
        const end = items.at(-1)!;
        const auditAt = items.findIndex((i) => i['type'] === 'audit');
        const logAt = items.findIndex((i) => i['type'] === 'log');
        const bad: Array<[string, unknown[]]> = [
          ['cut short', items.slice(0, -3)],
          ['no header', items.slice(1)],
          [
            'miscounted',
            [...items.slice(0, -1), { ...end, counts: { ...(end['counts'] as object), log: 5 } }],
          ],
          [
            'sections out of order',
            [items[0], items[auditAt], ...items.slice(1, auditAt), ...items.slice(auditAt + 1)],
          ],
          [
            'a field too many',
            items.map((i, n) => (n === logAt ? { ...i, $where: 'sleep(1000)' } : i)),
          ],
          [
            'an operator as a value',
            items.map((i, n) => (n === logAt ? { ...i, id: { $gt: '' } } : i)),
          ],
          ['an unknown type', [items[0], { type: 'users', name: 'x' }, ...items.slice(1)]],
          ['a repeated entry', [items[0], items[logAt], ...items.slice(1)]],
        ];
        for (const [why, dumpItems] of bad) {
          const target = await another();
          await expect(target.importAll(replay(dumpItems)), why).rejects.toMatchObject({
            code: 'DUMP_INVALID',
          });
          expect(await target.head(), why).toBe(0);
          expect(await target.auditHead(), why).toEqual({ seq: 0, hash: '0'.repeat(64) });
          expect(await target.stations(), why).toEqual([]);
          expect(
            (await dump(target)).map((i) => i.type),
            why,
          ).toEqual(['header', 'end']);
        }
      });

      it('imports an audit that does not verify as it is, and says so', async () => {
        for (let i = 1; i <= 3; i++) await store.appendAudit(auditBody(i));
        const items = await dump(store);
        const edited = items.map((i) =>
          i.type === 'audit' && i.seq === 2
            ? { ...i, body: i.body.replace('lookup', 'LOOKUP') }
            : i,
        );
        const target = await another();
        const report = await target.importAll(replay(edited));
        expect(report.audit).toMatchObject({ entries: 3, chainOk: false, firstProblemSeq: 2 });
        expect(verifyAuditChain(await target.auditEntries(0, 10)).ok).toBe(false);
      });
    });
  });
}
