import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pki, createCsr, generateRsaKeyPair, type KeyPair } from '../index.js';
import { PkiStore } from './store.js';

const TD = 'cctns.local';
const ROOT_PASS = 'root-passphrase-for-tests';
const CA_PASS = 'ca-passphrase-for-tests';

let base: string;
let template: string;
let keys: KeyPair;
let copies = 0;
/** Serials of the template's issued certificates, in order. */
const serials: string[] = [];

/**
 * The template PKI's log: 1 init-root, 2 init-ca, 3 token, 4 issue, 5 token, 6 issue.
 * Destructive tests each work on a fresh copy of it.
 */
beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'cctns-store-'));
  template = join(base, 'template');
  keys = await generateRsaKeyPair(2048);
  const pki = await Pki.initRoot(template, {
    trustDomain: TD,
    passphrase: ROOT_PASS,
    keyBits: 2048,
  });
  try {
    await pki.initCa('MH', { rootPassphrase: ROOT_PASS, passphrase: CA_PASS, keyBits: 2048 });
    const mh = pki.unlockCa('MH', CA_PASS);
    for (const id of ['station/MH/PUNE/PS1', 'station/MH/PUNE/PS2']) {
      const { token } = await mh.createToken(id);
      serials.push((await mh.issue({ csrPem: createCsr(id, TD, keys), token })).serial);
    }
  } finally {
    pki.close();
  }
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** A fresh copy of the template PKI, opened. */
function copy(): Pki {
  const dir = join(base, `copy-${++copies}`);
  cpSync(template, dir, { recursive: true });
  return Pki.open(dir);
}

function withDb<T>(pki: Pki, fn: (db: Database.Database) => T): T {
  const db = new Database(join(pki.dir, 'pki.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('issuance log of a PKI', () => {
  it('has the expected entries and verifies', () => {
    const pki = copy();
    try {
      expect(pki.store.entries().map((e) => e.body.event)).toEqual([
        'init-root',
        'init-ca',
        'token',
        'issue',
        'token',
        'issue',
      ]);
      const report = pki.verifyLog();
      expect(report).toMatchObject({ ok: true, entries: 6, problems: [], unlogged: [] });
      expect(report.head).toBe(pki.store.entries(1)[0]?.hash);
    } finally {
      pki.close();
    }
  });

  it('detects a body edited in the database (altered at seq 3)', () => {
    const pki = copy();
    try {
      withDb(pki, (db) => {
        const row = db.prepare('SELECT body FROM log WHERE seq = 3').get() as { body: string };
        const body = JSON.parse(row.body) as { identity: string };
        expect(body.identity).toBe('station/MH/PUNE/PS1');
        body.identity = 'station/MH/PUNE/PS666';
        db.prepare('UPDATE log SET body = ? WHERE seq = 3').run(JSON.stringify(body));
      });
      const report = pki.verifyLog();
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([expect.objectContaining({ seq: 3, kind: 'altered' })]);
    } finally {
      pki.close();
    }
  });

  it('accepts a body re-serialised with another key order (canonical hashing)', () => {
    const pki = copy();
    try {
      withDb(pki, (db) => {
        const row = db.prepare('SELECT body FROM log WHERE seq = 4').get() as { body: string };
        const body = JSON.parse(row.body) as Record<string, unknown>;
        const reversed = Object.fromEntries(Object.entries(body).reverse());
        db.prepare('UPDATE log SET body = ? WHERE seq = 4').run(JSON.stringify(reversed));
      });
      expect(pki.verifyLog().ok).toBe(true);
    } finally {
      pki.close();
    }
  });

  it('detects a deleted middle entry', () => {
    const pki = copy();
    try {
      withDb(pki, (db) => db.prepare('DELETE FROM log WHERE seq = 3').run());
      const report = pki.verifyLog();
      expect(report.ok).toBe(false);
      expect(report.problems).toContainEqual(expect.objectContaining({ seq: 3, kind: 'deleted' }));
    } finally {
      pki.close();
    }
  });

  it('detects a deleted issue entry in the middle as deleted and unlogged', () => {
    const pki = copy();
    try {
      withDb(pki, (db) => db.prepare('DELETE FROM log WHERE seq = 4').run());
      const report = pki.verifyLog();
      expect(report.problems).toContainEqual(expect.objectContaining({ seq: 4, kind: 'deleted' }));
      expect(report.unlogged).toEqual([`issue of ${serials[0]}`]);
    } finally {
      pki.close();
    }
  });

  it('detects a deleted last entry when it is an issue (unlogged certificate)', () => {
    const pki = copy();
    try {
      const [last] = pki.store.entries(1);
      expect(last?.body.event).toBe('issue');
      withDb(pki, (db) => db.prepare('DELETE FROM log WHERE seq = ?').run(last!.seq));
      const report = pki.verifyLog();
      // The chain alone cannot see a cut tail; the certificate table does.
      expect(report.problems).toEqual([]);
      expect(report.unlogged).toEqual([`issue of ${serials[1]}`]);
      expect(report.ok).toBe(false);
    } finally {
      pki.close();
    }
  });

  it('detects a deleted last entry when it is a revocation', () => {
    const pki = copy();
    try {
      const mh = pki.unlockCa('MH', CA_PASS);
      mh.revoke(serials[0]!, 'keyCompromise');
      const [last] = pki.store.entries(1);
      expect(last?.body.event).toBe('revoke');
      withDb(pki, (db) => db.prepare('DELETE FROM log WHERE seq = ?').run(last!.seq));
      const report = pki.verifyLog();
      expect(report.unlogged).toEqual([`revoke of ${serials[0]}`]);
      expect(report.ok).toBe(false);
    } finally {
      pki.close();
    }
  });

  it('detects an issue entry re-pointed at another serial', () => {
    const pki = copy();
    try {
      withDb(pki, (db) => {
        const row = db.prepare('SELECT body FROM log WHERE seq = 6').get() as { body: string };
        const body = JSON.parse(row.body) as { serial: string };
        body.serial = serials[0]!;
        db.prepare('UPDATE log SET body = ? WHERE seq = 6').run(JSON.stringify(body));
      });
      const report = pki.verifyLog();
      expect(report.problems).toContainEqual(expect.objectContaining({ seq: 6, kind: 'altered' }));
      expect(report.unlogged).toEqual([`issue of ${serials[1]}`]);
    } finally {
      pki.close();
    }
  });

  it('keeps appending a valid chain after reopening', async () => {
    const pki = copy();
    try {
      const mh = pki.unlockCa('MH', CA_PASS);
      const { token } = await mh.createToken('station/MH/PUNE/PS3');
      await mh.issue({ csrPem: createCsr('station/MH/PUNE/PS3', TD, keys), token });
      const report = pki.verifyLog();
      expect(report).toMatchObject({ ok: true, entries: 8, problems: [], unlogged: [] });
    } finally {
      pki.close();
    }
  });
});

describe('PkiStore', () => {
  let dir: string;
  let store: PkiStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cctns-store-unit-'));
    store = new PkiStore(join(dir, 'pki.db'));
  });

  afterAll(() => {
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers entries from 1 and links them', () => {
    const a = store.log({ at: '2025-01-01T00:00:00.000Z', event: 'crl', ca: 'MH' });
    const b = store.log({
      at: '2025-01-01T00:00:01.000Z',
      event: 'crl',
      ca: 'MH',
      detail: { n: 2 },
    });
    expect([a, b]).toEqual([1, 2]);
    const entries = store.entries();
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(store.verifyLog().ok).toBe(true);
  });

  it('drops undefined fields from stored bodies', () => {
    const seq = store.log({ at: '2025-01-01T00:00:02.000Z', event: 'crl', ca: undefined });
    expect(store.entries(1)[0]).toMatchObject({
      seq,
      body: { at: '2025-01-01T00:00:02.000Z', event: 'crl' },
    });
    expect(Object.keys(store.entries(1)[0]!.body)).not.toContain('ca');
    expect(store.verifyLog().ok).toBe(true);
  });

  it('returns the last n entries in order', () => {
    const all = store.entries();
    expect(store.entries(2).map((e) => e.seq)).toEqual(all.slice(-2).map((e) => e.seq));
  });

  it('rolls back an append when the transaction fails', () => {
    const before = store.entries().length;
    expect(() =>
      store.transaction(() => {
        store.append({ at: '2025-01-01T00:00:03.000Z', event: 'crl' });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.entries()).toHaveLength(before);
  });

  it('refuses to spend a token twice (TOKEN_REUSED)', () => {
    const now = new Date();
    store.transaction(() => store.spendToken('jti-1', 'MH', 'station/MH/PUNE/PS1', now, now));
    expect(() =>
      store.transaction(() => store.spendToken('jti-1', 'MH', 'station/MH/PUNE/PS1', now, now)),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_REUSED' }));
  });

  it('counts CRL numbers per CA', () => {
    const n = (ca: string) => store.transaction(() => store.nextCrlNumber(ca));
    expect([n('MH'), n('MH'), n('KA'), n('MH')]).toEqual([1, 2, 1, 3]);
  });
});
