import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  SqliteAuditTable,
  verifyAudit,
  verifyAuditChain,
  type AuditBody,
  type AuditCheckpoint,
} from './audit.js';

const body = (i: number): AuditBody => ({
  at: new Date(Date.UTC(2026, 10, 23, 10, 0, i)).toISOString(),
  actor: i % 2 ? 'agency/CBI/DELHI-HQ' : 'station/MH/PUNE/PS001',
  serial: `0${i}`,
  action: 'lookup.person',
  outcome: 'ok',
  purpose: { reference: `FIR 12/2026 PS001`, reason: 'investigation' },
  subject: i === 3 ? 'person:MH-42' : undefined,
  query: { name: 'राम कुमार', ageFrom: 30 },
  results: i,
});

function table(n: number) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'audit-')), 'a.db'));
  const t = new SqliteAuditTable(db);
  for (let i = 1; i <= n; i++) t.append(body(i));
  return { db, t };
}

// Checkpoints here are plain JSON "signed" by a stand-in; the broker test signs real ones.
const unsigned = (cp: AuditCheckpoint) => `ok.${JSON.stringify(cp)}`;
const check = async (jws: string) => {
  if (!jws.startsWith('ok.')) throw new Error('signature does not verify');
  return JSON.parse(jws.slice(3)) as AuditCheckpoint;
};

describe('audit table', () => {
  it('chains entries and verifies clean, with bodies as stored (Unicode, undefined dropped)', () => {
    const { t } = table(5);
    expect(t.head().seq).toBe(5);
    const r = verifyAuditChain(t.iterate());
    expect(r).toMatchObject({ ok: true, entries: 5 });
    expect(t.entries(2, 1)[0]!.body.query).toEqual({ name: 'राम कुमार', ageFrom: 30 });
    expect('subject' in t.entries(0, 1)[0]!.body).toBe(false);
    expect(t.find({ subject: 'person:MH-42' }).map((e) => e.seq)).toEqual([3]);
    expect(t.find({ actor: 'agency/CBI/DELHI-HQ' }).map((e) => e.seq)).toEqual([1, 3, 5]);
    expect(t.find({ actionPrefix: 'lookup.' })).toHaveLength(5);
  });

  it('finds an edited, a deleted and an inserted entry, and says where', () => {
    const edited = table(5);
    edited.db
      .prepare("UPDATE audit SET body = replace(body, 'investigation', 'curiosity') WHERE seq = 3")
      .run();
    expect(verifyAuditChain(edited.t.iterate()).problems).toEqual([
      expect.objectContaining({ seq: 3, kind: 'altered' }),
    ]);

    const deleted = table(5);
    deleted.db.prepare('DELETE FROM audit WHERE seq = 2').run();
    expect(verifyAuditChain(deleted.t.iterate()).problems).toEqual([
      expect.objectContaining({ seq: 2, kind: 'deleted' }),
    ]);

    // An inserted entry: later entries renumbered to make room, the forged one linked in.
    const inserted = table(4);
    const rows = inserted.db.prepare('SELECT * FROM audit ORDER BY seq').all() as Array<
      Record<string, unknown>
    >;
    inserted.db.prepare('DELETE FROM audit WHERE seq >= 3').run();
    const ins = inserted.db.prepare(
      'INSERT INTO audit (seq, prev_hash, hash, body, at, actor, action, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const r2 = rows[1]!;
    ins.run(3, r2['hash'], 'f'.repeat(64), JSON.stringify(body(9)), 0, 'x', 'lookup.person', null);
    for (const r of rows.slice(2))
      ins.run(
        (r['seq'] as number) + 1,
        r['prev_hash'],
        r['hash'],
        r['body'],
        r['at'],
        r['actor'],
        r['action'],
        r['subject'],
      );
    const problems = verifyAuditChain(inserted.t.iterate()).problems;
    expect(problems.map((p) => `${p.seq}:${p.kind}`)).toEqual(
      expect.arrayContaining(['3:altered', '4:altered']),
    );
  });

  it('catches with checkpoints what a re-chained rewrite or a cut tail hides from the chain', async () => {
    const { db, t } = table(6);
    const cp = (seq: number) => {
      const e = t.entries(seq - 1, 1)[0]!;
      return unsigned({ log: 'broker/MH', seq, hash: e.hash, at: e.body.at });
    };
    const checkpoints = [cp(3), cp(6)];
    expect(await verifyAudit(t.iterate(), checkpoints, check)).toMatchObject({
      ok: true,
      checkpoints: 2,
    });

    // Cut the last two entries: the chain alone is fine, the checkpoint is not.
    db.prepare('DELETE FROM audit WHERE seq > 4').run();
    expect(verifyAuditChain(t.iterate()).ok).toBe(true);
    const cut = await verifyAudit(t.iterate(), checkpoints, check);
    expect(cut.problems).toEqual([expect.objectContaining({ seq: 6, kind: 'truncated' })]);

    // Rewrite entry 2 onwards and re-chain it consistently: only the checkpoint shows it.
    const { t: t2, db: db2 } = table(4);
    const before = [
      unsigned({ log: 'broker/MH', seq: 3, hash: t2.entries(2, 1)[0]!.hash, at: 'x' }),
    ];
    db2.prepare('DELETE FROM audit WHERE seq >= 2').run();
    t2.append({ ...body(2), outcome: 'refused' });
    t2.append(body(3));
    t2.append(body(4));
    expect(verifyAuditChain(t2.iterate()).ok).toBe(true);
    const rewritten = await verifyAudit(t2.iterate(), [...before, 'forged.checkpoint'], check);
    expect(rewritten.problems.map((p) => `${p.seq}:${p.kind}`)).toEqual([
      '3:rewritten',
      '0:checkpoint',
    ]);
  });
});
