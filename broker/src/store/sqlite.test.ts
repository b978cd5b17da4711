import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAuditTable, verifyAudit } from '@cctns/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportItem } from './export.js';
import { storeConformance } from './conformance.js';
import { SqliteBrokerStore } from './sqlite.js';
import type { NewLogEntry } from './store.js';

storeConformance('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctns-broker-store-'));
  const store = new SqliteBrokerStore(join(dir, 'broker.db'));
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('SqliteBrokerStore on its file', () => {
  const T0 = new Date('2025-01-15T10:00:00.000Z');
  let dir: string;
  let file: string;
  let store: SqliteBrokerStore | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cctns-broker-sqlite-'));
    file = join(dir, 'broker.db');
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (id: string, over: Partial<NewLogEntry> = {}): NewLogEntry => ({
    kind: 'alert',
    id,
    sender: 'station/MH/PUNE/PS001',
    targets: ['station/MH/PUNE/PS002'],
    expiresAt: null,
    createdAt: T0,
    ref: null,
    jws: `jws-of-${id}`,
    ...over,
  });

  /** Counts the rows of a table through a separate connection to the file. */
  function rows(table: 'log' | 'log_targets' | 'receipts' | 'stations'): number {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('checkpoints its write-ahead log into the database file from a thread of its own', async () => {
    store = new SqliteBrokerStore(file);
    const before = statSync(file).size;
    // 2 MB of appends: the appending connection never checkpoints itself, so they reach the
    // database file only through the checkpoint thread (a pass every second).
    await store.appendBatch(
      Array.from({ length: 500 }, (_, i) => ({
        entry: entry(`W-${i}`, { jws: 'x'.repeat(4096) }),
      })),
    );
    const end = Date.now() + 10_000;
    while (statSync(file).size < before + 2_000_000 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    expect(statSync(file).size).toBeGreaterThan(before + 2_000_000);
    expect(rows('log')).toBe(500);
  });

  it('commits a batch of appends all or none', async () => {
    store = new SqliteBrokerStore(file);
    await store.append(entry('A-1', { seq: 10 }));
    // The third entry's sequence is not after the head: the whole batch is refused.
    await expect(
      store.appendBatch([
        { entry: entry('A-2', { seq: 11 }) },
        { entry: entry('A-3', { seq: 12 }) },
        { entry: entry('A-4', { seq: 12 }) },
      ]),
    ).rejects.toThrow(/not after the head/);
    expect(await store.head()).toBe(10);
    expect(await store.get('alert', 'A-2')).toBeUndefined();
    const ok = await store.appendBatch([
      { entry: entry('A-2', { seq: 11 }) },
      { entry: entry('A-3', { seq: 12 }) },
    ]);
    expect(ok.map((r) => r.seq)).toEqual([11, 12]);
  });

  it('keeps log, receipts and stations across close and reopen of the same file', async () => {
    store = new SqliteBrokerStore(file);
    const alert = await store.append(entry('A-1', { expiresAt: new Date('2025-02-01T00:00:00Z') }));
    const receipt = {
      alertId: 'A-1',
      station: 'station/MH/PUNE/PS002',
      kind: 'read' as const,
      at: new Date('2025-01-15T10:05:00Z'),
      note: 'पढ़ लिया',
    };
    await store.appendReceipt(
      entry('A-1/station/MH/PUNE/PS002/read', { kind: 'receipt', ref: 'A-1' }),
      receipt,
    );
    await store.touchStation('station/MH/PUNE/PS002', {
      online: true,
      certNotAfter: new Date('2026-01-01T00:00:00Z'),
      at: T0,
    });
    await store.advanceCursor('station/MH/PUNE/PS002', alert.seq);
    const head = await store.head();
    const stationsBefore = await store.stations();
    await store.close();

    store = new SqliteBrokerStore(file);
    expect(await store.head()).toBe(head);
    expect(await store.get('alert', 'A-1')).toEqual({
      ...entry('A-1', { expiresAt: new Date('2025-02-01T00:00:00Z') }),
      seq: alert.seq,
    });
    expect(await store.receipts('A-1')).toEqual([receipt]);
    expect(await store.stations()).toEqual(stationsBefore);
    expect(await store.append(entry('A-1'))).toEqual({ seq: alert.seq, duplicate: true });
    const next = await store.append(entry('A-2'));
    expect(next).toEqual({ seq: head + 1, duplicate: false });
  });

  it('stores a broadcast as ONE log row however many stations exist', async () => {
    store = new SqliteBrokerStore(file);
    const stations = Array.from(
      { length: 300 },
      (_, i) => `station/MH/D${i % 12}/PS${String(i).padStart(3, '0')}`,
    );
    for (const s of stations) await store.touchStation(s, { online: true, at: T0 });
    const { seq } = await store.append(entry('BROADCAST', { targets: ['state/MH'] }));
    expect(rows('log')).toBe(1);
    expect(rows('log_targets')).toBe(1);
    expect(rows('stations')).toBe(300);
    for (const s of stations.slice(0, 20)) {
      const [, state, district] = s.split('/');
      const found = await store.entriesFor(
        [s, `district/${state}/${district}`, `state/${state}`, 'national'],
        0,
        { limit: 10, now: T0 },
      );
      expect(found.map((e) => e.seq)).toEqual([seq]);
    }
  });

  it('stores one log_targets row per distinct target key of an entry', async () => {
    store = new SqliteBrokerStore(file);
    await store.append(
      entry('MULTI', { targets: ['state/MH', 'state/GA', 'national', 'state/MH'] }),
    );
    expect(rows('log')).toBe(1);
    expect(rows('log_targets')).toBe(3);
  });

  it('opens the file in WAL mode', async () => {
    store = new SqliteBrokerStore(file, { durability: 'full' });
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('opens a file made before names were kept: adds the column, its records have none', async () => {
    const old = new Database(file);
    old.exec(`CREATE TABLE records (id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT NULL,
      district TEXT NOT NULL, external_ref TEXT, version INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      status INTEGER NOT NULL, gender INTEGER NOT NULL, age INTEGER NOT NULL, body BLOB NOT NULL,
      UNIQUE (owner, external_ref));
      CREATE TABLE record_keys (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
      INSERT INTO records VALUES ('person:MH-1', 'person', 'station/MH/PUNE/PS001', 'PUNE', NULL, 1, 0, 3, 1, 30, x'00');
      INSERT INTO record_keys VALUES ('n:ram', 'person:MH-1');
      CREATE TABLE record_counters (kind TEXT PRIMARY KEY, next INTEGER NOT NULL);
      INSERT INTO record_counters VALUES ('person', 2);`);
    old.close();
    store = new SqliteBrokerStore(file);
    expect((await store.getRecord('person:MH-1'))?.names).toBeNull();
    expect((await store.findRecords('person', ['n:ram'], {}, 10)).map((r) => r.id)).toEqual([
      'person:MH-1',
    ]);
    const next = await store.putRecord({
      kind: 'person',
      owner: 'station/MH/PUNE/PS001',
      district: 'PUNE',
      status: 3,
      gender: 1,
      age: 31,
      keys: ['n:ram'],
      names: 'prepared',
      encode: () => new Uint8Array([1]),
      at: T0,
      state: 'MH',
    });
    expect(next.id).toBe('person:MH-2');
    expect((await store.getRecord(next.id))?.names).toBe('prepared');
    expect((await store.getRecord('person:MH-1'))?.names).toBeNull();
  });

  it('a second store on the same file sees the first one’s appends', async () => {
    store = new SqliteBrokerStore(file);
    const other = new SqliteBrokerStore(file);
    try {
      const { seq } = await store.append(entry('A-1'));
      expect((await other.get('alert', 'A-1'))?.seq).toBe(seq);
      expect((await other.append(entry('A-2'))).seq).toBe(seq + 1);
      expect(await store.head()).toBe(seq + 1);
    } finally {
      await other.close();
    }
  });

  it('exports a snapshot: what is written while an export runs is not in it', async () => {
    store = new SqliteBrokerStore(file);
    for (let i = 1; i <= 3; i++) await store.append(entry(`A-${i}`));
    const items: ExportItem[] = [];
    for await (const item of store.exportAll()) {
      items.push(item);
      // The store's own connection keeps writing (WAL) while the export reads its snapshot:
      // the directory and the audit come later in the dump than the log it is reading now.
      if (items.length === 2) {
        await store.append(entry('A-LATE'));
        await store.touchStation('station/MH/PUNE/PS009', { online: true, at: T0 });
        await store.appendAudit({ at: T0.toISOString(), actor: 'x', action: 'y', outcome: 'ok' });
      }
    }
    expect(items.filter((i) => i.type === 'log')).toHaveLength(3);
    expect(items.filter((i) => i.type === 'station' || i.type === 'audit')).toEqual([]);
    expect(items.at(-1)).toMatchObject({ type: 'end', counts: { log: 3, station: 0, audit: 0 } });
    expect(await store.head()).toBe(4);
    expect(await store.stations()).toHaveLength(1);
  });

  it('an imported audit verifies from its file with the overseer’s check (cctns audit verify)', async () => {
    store = new SqliteBrokerStore(file);
    for (let i = 1; i <= 5; i++)
      await store.appendAudit({
        at: new Date(T0.getTime() + i).toISOString(),
        actor: 'agency/CBI/DELHI-HQ',
        action: 'lookup.person',
        outcome: 'ok',
        query: { name: 'रमेश' },
      });
    const items: ExportItem[] = [];
    for await (const item of store.exportAll()) items.push(item);
    const copyFile = join(dir, 'copy.db');
    const copy = new SqliteBrokerStore(copyFile);
    await copy.importAll(
      (async function* () {
        yield* items;
      })(),
    );
    await copy.close();
    const db = new Database(copyFile, { readonly: true });
    try {
      const table = new SqliteAuditTable(db, { readonly: true });
      const report = await verifyAudit(table.iterate(), [], async () => {
        throw new Error('no checkpoints here');
      });
      expect(report).toMatchObject({ ok: true, entries: 5, head: (await store.auditHead()).hash });
    } finally {
      db.close();
    }
  });
});
