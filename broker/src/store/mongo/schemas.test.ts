import { createConnection } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { SCHEMAS, storeModels } from './schemas.js';

// Models on a connection that never opens: validation and index definitions need no server.
const m = storeModels(createConnection());
const T0 = new Date('2026-01-15T10:00:00.000Z');

/** The paths that fail validation, sorted. */
async function invalid(doc: { validate: () => Promise<unknown> }): Promise<string[]> {
  try {
    await doc.validate();
    return [];
  } catch (err) {
    return Object.keys((err as { errors?: Record<string, unknown> }).errors ?? {}).sort();
  }
}

const logEntry = {
  _id: 1,
  kind: 'alert',
  id: 'A-1',
  sender: 'station/MH/PUNE/PS001',
  targets: ['state/MH'],
  expiresAt: null,
  createdAt: T0,
  ref: null,
  jws: 'a.b.c',
};

describe('MongoDB schemas: validation', () => {
  it('accepts a complete log entry, null expiry and reference included', async () => {
    expect(await invalid(new m.Log(logEntry))).toEqual([]);
  });

  it('refuses a log entry without its required fields, or with wrong types and values', async () => {
    expect(await invalid(new m.Log({}))).toEqual([
      '_id',
      'createdAt',
      'id',
      'jws',
      'kind',
      'sender',
    ]);
    expect(
      await invalid(new m.Log({ ...logEntry, _id: 0, kind: 'broadcast', createdAt: 'yesterday' })),
    ).toEqual(['_id', 'createdAt', 'kind']);
    expect(await invalid(new m.Log({ ...logEntry, _id: 1.5 }))).toEqual(['_id']);
    expect(await invalid(new m.Log({ ...logEntry, id: '' }))).toEqual(['id']);
  });

  it('throws on a field the schema does not know (strict: throw), such as an operator', async () => {
    expect(() => new m.Log({ ...logEntry, $where: 'true' })).toThrow();
    expect(() => new m.Log({ ...logEntry, extra: 1 })).toThrow(/not in schema/);
    expect(
      () => new m.Station({ _id: 'station/MH/PUNE/PS001', online: true, cursor: 0, x: 1 }),
    ).toThrow(/not in schema/);
  });

  it('lets notes, subjects and texts be empty but not missing', async () => {
    const receipt = { alertId: 'A-1', station: 'station/MH/PUNE/PS002', kind: 'read', at: T0 };
    expect(await invalid(new m.Receipt({ ...receipt, note: '' }))).toEqual([]);
    expect(await invalid(new m.Receipt({ ...receipt, kind: 'seen', note: '' }))).toEqual(['kind']);
    const n = new m.Notification({
      _id: 'A-1|sho|sms',
      alertId: 'A-1',
      station: 'station/MH/PUNE/PS002',
      contactId: 'sho',
      channel: 'sms',
      to: '+919800000001',
      subject: '',
      text: 'Wanted',
      state: 'pending',
      attempts: 0,
      nextAttemptAt: T0,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await invalid(n)).toEqual([]);
    n.set('state', 'lost');
    n.set('channel', 'fax');
    n.set('attempts', -1);
    expect(await invalid(n)).toEqual(['attempts', 'channel', 'state']);
  });

  it('keeps a record body as bytes and its keys as strings', async () => {
    const r = new m.Record({
      _id: 'person:MH-1',
      kind: 'person',
      owner: 'station/MH/PUNE/PS001',
      district: 'PUNE',
      externalRef: null,
      version: 1,
      updatedAt: T0,
      status: 3,
      gender: 1,
      age: 34,
      body: Buffer.from([0, 255, 7]),
      keys: ['n:ram', 'n:kmr'],
    });
    expect(await invalid(r)).toEqual([]);
    expect(Buffer.from(r.get('body') as Buffer)).toEqual(Buffer.from([0, 255, 7]));
    r.set('body', Buffer.alloc(0));
    r.set('keys', []);
    expect(await invalid(r)).toEqual([]);
    expect(await invalid(new m.Record({ _id: 'x', kind: 'animal', version: 0 }))).toEqual(
      expect.arrayContaining(['age', 'body', 'kind', 'owner', 'updatedAt', 'version']),
    );
  });

  it('refuses an audit entry whose hashes are not SHA-256 hex digests', async () => {
    const e = {
      _id: 1,
      prevHash: '0'.repeat(64),
      hash: 'a'.repeat(64),
      body: '{"action":"x"}',
      at: T0,
      actor: 'agency/CBI/DELHI-HQ',
      action: 'x',
      subject: null,
    };
    expect(await invalid(new m.Audit(e))).toEqual([]);
    expect(await invalid(new m.Audit({ ...e, hash: 'h1', prevHash: 'Z'.repeat(64) }))).toEqual([
      'hash',
      'prevHash',
    ]);
  });
});

describe('MongoDB schemas: indexes and options', () => {
  const indexes = (name: keyof typeof SCHEMAS) =>
    SCHEMAS[name].indexes().map(([keys, opts]) => ({
      keys,
      unique: Boolean(opts['unique']),
      ...(opts['partialFilterExpression']
        ? { partial: opts['partialFilterExpression'] as unknown }
        : {}),
    }));

  it('declares the indexes every query of the store uses', () => {
    expect(indexes('log')).toEqual([
      { keys: { kind: 1, id: 1 }, unique: true },
      { keys: { targets: 1, _id: 1 }, unique: false },
      { keys: { kind: 1, createdAt: 1 }, unique: false },
    ]);
    expect(indexes('receipts')).toEqual([
      { keys: { alertId: 1, station: 1, kind: 1 }, unique: true },
    ]);
    expect(indexes('notifications')).toEqual([
      { keys: { state: 1, nextAttemptAt: 1 }, unique: false },
      { keys: { alertId: 1, createdAt: 1 }, unique: false },
      { keys: { providerId: 1 }, unique: false, partial: { providerId: { $type: 'string' } } },
    ]);
    expect(indexes('records')).toEqual([
      { keys: { kind: 1, keys: 1 }, unique: false },
      {
        keys: { owner: 1, externalRef: 1 },
        unique: true,
        partial: { externalRef: { $type: 'string' } },
      },
    ]);
    expect(indexes('audit')).toEqual([
      { keys: { actor: 1, at: 1 }, unique: false },
      { keys: { action: 1, at: 1 }, unique: false },
      { keys: { subject: 1 }, unique: false },
      { keys: { at: 1 }, unique: false },
    ]);
    expect(indexes('auditCheckpoints')).toEqual([{ keys: { at: 1, _id: 1 }, unique: false }]);
    // Stations, certificates, notifications and counters are found by _id (always unique).
    for (const name of ['stations', 'stationCerts', 'counters'] as const)
      expect(indexes(name)).toEqual([]);
  });

  it('is strict both ways, without a version key, and creates nothing on its own', () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      expect(schema.get('strict'), name).toBe('throw');
      expect(schema.get('strictQuery'), name).toBe('throw');
      expect(schema.get('versionKey'), name).toBe(false);
      expect(schema.get('autoIndex'), name).toBe(false);
      expect(schema.get('autoCreate'), name).toBe(false);
      expect(schema.get('collection'), name).toBe(name);
    }
  });
});
