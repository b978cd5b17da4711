import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Broker } from '@cctns/broker';
import { SqliteAuditTable, type AuditBody, type Pki } from '@cctns/pki';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import {
  enrollStation,
  eventually,
  makePki,
  runFast,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';

// The broker's audit through the `cctns audit` CLI, as an overseer would use it on a copy of the
// broker's database: a clean log verifies; an edited, a deleted and an inserted entry, a cut tail
// and a consistently re-chained rewrite are each found and located.
const dir = tempDir('audit');
let pki: Pki;
let broker: Broker;
let sender: Agent;
let receiver: Agent;
const alertIds: string[] = [];
const db = () => join(dir, 'broker-MH', 'broker.db');
const checkpointFile = () => join(dir, 'checkpoints.jsonl');

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH']));
  broker = await startBroker(dir, pki, 'MH', {
    audit: { checkpointSeconds: 3600, checkpointFile: checkpointFile() },
  });
  const mh = pki.unlockCa('MH', TEST_PASSPHRASE);
  sender = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
  receiver = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
  const refused: string[] = [];
  runFast(sender, { answered: (ref, ok) => void (!ok && refused.push(ref)) });
  runFast(receiver);
  for (let i = 0; i < 4; i++) {
    const a = composeAlert({
      sender: sender.identity,
      to: { stations: [receiver.identity] },
      event: 'Theft',
      headline: `चोरी ${i}`,
      now: new Date(),
    });
    alertIds.push(a.identifier);
    await sender.send(a);
  }
  // One the broker refuses: a station may not address the whole country.
  await sender.send(
    composeAlert({
      sender: sender.identity,
      to: { national: true },
      event: 'x',
      headline: 'not allowed',
      now: new Date(),
    }),
  );
  await eventually(() => alertIds.every((id) => receiver.store.inboxItem(id)), 15_000, 'alerts');
  await eventually(() => refused.length === 1, 15_000, 'the refusal');
  // One checkpoint while running (also served over HTTP), and a last one at stop.
  await broker.audit.checkpoint();
  const served = (await (
    await fetch(`http://${broker.addresses.http}/audit/checkpoints`)
  ).json()) as { log: string; checkpoints: string[] };
  expect(served).toMatchObject({ log: 'broker/MH', checkpoints: [expect.any(String)] });
  await sender.close();
  await receiver.close();
  await broker.stop();
}, 60_000);

afterAll(() => pki?.close());

/** A copy of the broker's database to tamper with, with the broker's root beside it. */
function copy(name: string): string {
  const file = join(dir, 'broker-MH', `${name}.db`);
  copyFileSync(db(), file);
  return file;
}

async function verify(file: string, extra: string[] = []) {
  const r = await cctns(['--json', 'audit', 'verify', '--db', file, ...extra]);
  return { code: r.code, out: JSON.parse(r.stdout || '{}') as Record<string, unknown>, r };
}

describe('cctns audit', () => {
  it('verifies the untouched audit against its signed checkpoints', async () => {
    const { code, out } = await verify(db(), ['--checkpoints', checkpointFile()]);
    expect(code).toBe(0);
    expect(out).toMatchObject({ ok: true, checkpointsChecked: true });
    expect(out['entries']).toBe(5); // 4 alerts accepted, 1 refusal
    // One checkpoint while running and the final one signed at stop (also when nothing was
    // appended since), kept in the database and shipped to the file; both copies are checked.
    expect(out['checkpoints']).toBe(4);
    expect(readFileSync(checkpointFile(), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('finds an edited, a deleted and an inserted entry and says where (exit 8)', async () => {
    const edited = copy('edited');
    new Database(edited)
      .prepare(
        "UPDATE audit SET body = replace(body, 'alert.accepted', 'alert.refused') WHERE seq = 2",
      )
      .run();
    const e = await verify(edited);
    expect(e.code).toBe(8);
    expect(e.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 2, kind: 'altered' })]),
    );

    const deleted = copy('deleted');
    new Database(deleted).prepare('DELETE FROM audit WHERE seq = 3').run();
    const d = await verify(deleted);
    expect(d.code).toBe(8);
    expect(d.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 3, kind: 'deleted' })]),
    );

    const inserted = copy('inserted');
    const idb = new Database(inserted);
    const row = idb.prepare('SELECT * FROM audit WHERE seq = 5').get() as Record<string, unknown>;
    idb.prepare('DELETE FROM audit WHERE seq = 5').run();
    idb
      .prepare(
        'INSERT INTO audit (seq, prev_hash, hash, body, at, actor, action, subject) VALUES (5, ?, ?, ?, 0, ?, ?, NULL)',
      )
      .run(row['prev_hash'], row['hash'], row['body'], 'x', 'x');
    idb
      .prepare(
        'INSERT INTO audit (seq, prev_hash, hash, body, at, actor, action, subject) VALUES (6, ?, ?, ?, 0, ?, ?, NULL)',
      )
      .run(row['hash'], 'f'.repeat(64), '{"forged":true}', 'x', 'x');
    idb.close();
    const i = await verify(inserted);
    expect(i.code).toBe(8);
    expect(i.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 6, kind: 'altered' })]),
    );
    expect(i.r.stderr).toContain('AUDIT_TAMPERED');
  });

  it('finds a cut tail and a consistently re-chained rewrite through the checkpoints', async () => {
    const cut = copy('cut');
    new Database(cut).prepare('DELETE FROM audit WHERE seq >= 4').run();
    const c = await verify(cut, ['--checkpoints', checkpointFile()]);
    expect(c.code).toBe(8);
    expect(c.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 5, kind: 'truncated' })]),
    );
    // Rewritten from entry 2 on and re-chained consistently: only the signed checkpoints show it.
    const rewritten = copy('rewritten');
    const rdb = new Database(rewritten);
    const bodies = (
      rdb.prepare('SELECT body FROM audit WHERE seq >= 2 ORDER BY seq').all() as Array<{
        body: string;
      }>
    ).map((r) => JSON.parse(r.body) as AuditBody);
    rdb.prepare('DELETE FROM audit WHERE seq >= 2').run();
    const table = new SqliteAuditTable(rdb);
    for (const b of bodies) table.append({ ...b, actor: 'station/MH/PUNE/PS002' });
    rdb.close();
    const w = await verify(rewritten);
    expect(w.code).toBe(8);
    expect(w.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 5, kind: 'rewritten' })]),
    );
    // Without the root to check the checkpoints, verification refuses to pretend.
    const blind = await verify(cut, ['--root', join(dir, 'no-such-root.pem')]);
    expect(blind.code).toBe(5);
  });

  it('reports who did what to a subject, what an identity did, and volumes', async () => {
    const r = await cctns(['--json', 'audit', 'report', '--db', db(), '--subject', alertIds[0]!]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { entries: Array<Record<string, unknown>> };
    expect(out.entries).toEqual([
      expect.objectContaining({
        actor: 'station/MH/PUNE/PS001',
        action: 'alert.accepted',
        subject: alertIds[0],
        serial: expect.stringMatching(/^[0-9a-f]+$/),
      }),
    ]);
    const refusals = JSON.parse(
      (await cctns(['--json', 'audit', 'report', '--db', db(), '--action', 'alert.refused']))
        .stdout,
    ) as { entries: Array<Record<string, unknown>> };
    expect(refusals.entries).toEqual([
      expect.objectContaining({ outcome: 'refused', code: 'SCOPE_FORBIDDEN' }),
    ]);
    const vol = JSON.parse(
      (
        await cctns([
          '--json',
          'audit',
          'report',
          '--db',
          db(),
          '--action',
          'alert.',
          '--volumes',
          'day',
        ])
      ).stdout,
    ) as { volumes: Array<{ actor: string; count: number }> };
    expect(vol.volumes).toEqual([
      expect.objectContaining({ actor: 'station/MH/PUNE/PS001', count: 5 }),
    ]);
    const human = await cctns([
      'audit',
      'report',
      '--db',
      db(),
      '--actor',
      'station/MH/PUNE/PS001',
      '--action',
      'alert.',
    ]);
    expect(human.stdout).toContain('5 entries');
    const missing = await cctns(['audit', 'verify', '--db', join(dir, 'nope.db')]);
    expect(missing.code).toBe(5);
  });
});
