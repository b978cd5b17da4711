import type Database from 'better-sqlite3';
import { checkRecordPut } from './record-rules.js';
import { preselect, type KeyIndex } from './preselect.js';
import type { NewRecord, RecordFilter, RecordKind, StoredRecord } from './store.js';

/**
 * Records in the SQLite store: one `records` row each (the encoded `Record`, what lookups filter
 * by, and the names prepared when it was written) and one `record_keys` row per search key. The
 * store's public methods for records delegate here.
 */

/** The record tables, created on first use. */
export const RECORD_SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  owner TEXT NOT NULL,
  district TEXT NOT NULL,
  external_ref TEXT,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  status INTEGER NOT NULL,
  gender INTEGER NOT NULL,
  age INTEGER NOT NULL,
  body BLOB NOT NULL,
  names TEXT,
  UNIQUE (owner, external_ref)
);
CREATE TABLE IF NOT EXISTS record_keys (
  key TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (key, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_keys_id ON record_keys (id);
CREATE TABLE IF NOT EXISTS record_counters (
  kind TEXT PRIMARY KEY,
  next INTEGER NOT NULL
);
`;

/** A `records` row. */
export interface RecordRow {
  id: string;
  kind: RecordKind;
  owner: string;
  district: string;
  external_ref: string | null;
  version: number;
  updated_at: number;
  status: number;
  gender: number;
  age: number;
  body: Buffer;
  names: string | null;
}

/** A row as the store interface gives it. */
export function toRecord(r: RecordRow): StoredRecord {
  return {
    id: r.id,
    kind: r.kind,
    owner: r.owner,
    district: r.district,
    externalRef: r.external_ref,
    version: r.version,
    updatedAt: new Date(r.updated_at),
    status: r.status,
    gender: r.gender,
    age: r.age,
    // A view, not a copy: each row's Buffer is its own, and a search reads 2,000 of them.
    body: new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.byteLength),
    names: r.names ?? null,
  };
}

/** The insert an import uses (every column, names last). */
export const INSERT_RECORD =
  'INSERT INTO records (id, kind, owner, district, external_ref, version, updated_at, status, gender, age, body, names) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Record reads and writes on the store's connection, statements prepared once. */
export class SqliteRecords {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    db.exec(RECORD_SCHEMA);
    // Files made before names were stored: add the column; their records score from the body.
    const columns = db.prepare('PRAGMA table_info(records)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'names'))
      db.exec('ALTER TABLE records ADD COLUMN names TEXT');
    this.s = {
      byId: db.prepare<[string], RecordRow>('SELECT * FROM records WHERE id = ?'),
      byRef: db.prepare<[string, string], RecordRow>(
        'SELECT * FROM records WHERE owner = ? AND external_ref = ?',
      ),
      nextId: db.prepare<[string], { next: number }>(
        'INSERT INTO record_counters (kind, next) VALUES (?, 2) ON CONFLICT(kind) DO UPDATE SET next = next + 1 RETURNING next',
      ),
      upsert: db.prepare(
        `INSERT INTO records (id, kind, owner, district, external_ref, version, updated_at, status, gender, age, body, names)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET district = excluded.district, version = excluded.version,
           external_ref = excluded.external_ref,
           updated_at = excluded.updated_at, status = excluded.status, gender = excluded.gender,
           age = excluded.age, body = excluded.body, names = excluded.names`,
      ),
      dropKeys: db.prepare('DELETE FROM record_keys WHERE id = ?'),
      addKey: db.prepare('INSERT OR IGNORE INTO record_keys (key, id) VALUES (?, ?)'),
      // The ids alone, as strings (pluck): the hot part of a pre-selection.
      keyIds: db
        .prepare<[string, number], string>(
          'SELECT id FROM record_keys WHERE key = ? ORDER BY id LIMIT ?',
        )
        .pluck(),
      // One statement for any number of ids: they come as a JSON array.
      many: db.prepare<[string, string], RecordRow>(
        'SELECT r.* FROM json_each(?) j JOIN records r ON r.id = j.value WHERE r.kind = ?',
      ),
      counts: db.prepare<[], { kind: RecordKind; n: number }>(
        'SELECT kind, COUNT(*) AS n FROM records GROUP BY kind',
      ),
    };
  }

  /** See `BrokerStore.putRecord`. */
  put(r: NewRecord): { id: string; version: number; created: boolean } {
    return this.db
      .transaction(() => {
        const current = r.id
          ? this.s.byId.get(r.id)
          : r.externalRef
            ? this.s.byRef.get(r.owner, r.externalRef)
            : undefined;
        const version = checkRecordPut(current, r);
        const id = current
          ? current.id
          : `${r.kind}:${r.state}-${this.s.nextId.get(r.kind)!.next - 1}`;
        const body = Buffer.from(r.encode(id, version, r.at));
        this.s.upsert.run(
          id,
          r.kind,
          r.owner,
          r.district,
          r.externalRef ?? current?.external_ref ?? null,
          version,
          r.at.getTime(),
          r.status,
          r.gender,
          r.age,
          body,
          r.names ?? null,
        );
        this.s.dropKeys.run(id);
        for (const k of new Set(r.keys)) this.s.addKey.run(k, id);
        return { id, version, created: !current };
      })
      .immediate();
  }

  /** See `BrokerStore.getRecord`. */
  get(id: string): StoredRecord | undefined {
    const row = this.s.byId.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** See `BrokerStore.findRecords`. */
  async find(
    kind: RecordKind,
    keys: readonly string[],
    filter: RecordFilter,
    limit: number,
    perKey: number,
  ): Promise<StoredRecord[]> {
    const ids = await preselect(keys, limit, perKey, this.index(kind, filter));
    if (ids.length === 0) return [];
    const rows = new Map(this.s.many.all(JSON.stringify(ids), kind).map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row ? [toRecord(row)] : [];
    });
  }

  /** See `BrokerStore.countRecords`. */
  count(): Record<RecordKind, number> {
    const out: Record<RecordKind, number> = { person: 0, vehicle: 0, case: 0 };
    for (const r of this.s.counts.all()) out[r.kind] = r.n;
    return out;
  }

  /**
   * The key index for one query. Without a filter the key rows alone answer (keys carry their
   * field's prefix, so the kind is checked when the rows are read); with one, each key's rows are
   * joined to their records so that the per-key cap counts only records that pass it.
   */
  private index(kind: RecordKind, filter: RecordFilter): KeyIndex {
    const where: string[] = [];
    const args: unknown[] = [];
    // Filter values are bound parameters, never SQL text.
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      args.push(value);
    };
    if (filter.district) add('r.district = ?', filter.district);
    if (filter.status) add('r.status = ?', filter.status);
    if (filter.gender) add('r.gender = ?', filter.gender);
    if (filter.ageFrom) add('r.age >= ?', filter.ageFrom);
    if (filter.ageTo) add('r.age > 0 AND r.age <= ?', filter.ageTo);
    if (where.length === 0) return { ids: async (key, n) => this.s.keyIds.all(key, n) };
    const filtered = this.db
      .prepare<unknown[], string>(
        `SELECT k.id FROM record_keys k JOIN records r ON r.id = k.id WHERE k.key = ? AND r.kind = ? AND ${where.join(' AND ')} ORDER BY k.id LIMIT ?`,
      )
      .pluck();
    return { ids: async (key, n) => filtered.all(key, kind, ...args, n) };
  }
}
