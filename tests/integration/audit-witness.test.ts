import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Broker } from '@cctns/broker';
import { InProcessStream } from '@cctns/broker';
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

// A state broker's audit checkpoints go to the national broker, which countersigns and keeps them
// (the witness). The cases a copy of the state's database alone cannot show — a tail cut or an
// entry forged after the last checkpoint, a whole log re-chained or cut with its checkpoints
// removed — are found against the witness's copies (`cctns audit verify --witness`).
const dir = tempDir('audit-witness');
let pki: Pki;
let national: Broker;
let mh: Broker;
let witnessUrl: string;
const witnessFile = join(dir, 'witnessed.json');
const db = () => join(dir, 'broker-MH', 'broker.db');

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'CENTRAL']));
  const stream = new InProcessStream();
  national = await startBroker(dir, pki, 'national', {}, { backbone: stream.connect() });
  mh = await startBroker(
    dir,
    pki,
    'MH',
    { audit: { checkpointSeconds: 3600, checkpointEntries: 4 } },
    { backbone: stream.connect() },
  );
  const ca = pki.unlockCa('MH', TEST_PASSPHRASE);
  const sender: Agent = await enrollStation(dir, pki, ca, mh, 'station/MH/PUNE/PS001');
  const receiver: Agent = await enrollStation(dir, pki, ca, mh, 'station/MH/PUNE/PS002');
  runFast(sender);
  runFast(receiver);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const a = composeAlert({
      sender: sender.identity,
      to: { stations: [receiver.identity] },
      event: 'Theft',
      headline: `चोरी ${i}`,
      now: new Date(),
    });
    ids.push(a.identifier);
    await sender.send(a);
  }
  await eventually(() => ids.every((id) => receiver.store.inboxItem(id)), 15_000, 'alerts');
  await sender.close();
  await receiver.close();
  // Stopping signs a final checkpoint and hands it to the witness before the broker is gone.
  await mh.stop();
  witnessUrl = `http://${national.addresses.http}`;
  const res = await fetch(`${witnessUrl}/audit/witnessed?log=broker/MH`);
  writeFileSync(witnessFile, await res.text());
}, 90_000);

afterAll(async () => {
  await national?.stop();
  pki?.close();
});

function copy(name: string): string {
  const file = join(dir, 'broker-MH', `${name}.db`);
  copyFileSync(db(), file);
  return file;
}

async function verify(file: string, extra: string[] = []) {
  const r = await cctns(['--json', 'audit', 'verify', '--db', file, ...extra]);
  return { code: r.code, out: JSON.parse(r.stdout || '{}') as Record<string, unknown>, r };
}

const problem = (kind: string) =>
  expect.arrayContaining([expect.objectContaining({ kind })]) as unknown;

describe('the audit witness', () => {
  it('keeps every checkpoint of the state broker, countersigned, and the untouched audit verifies against them', async () => {
    const copies = (await (await fetch(`${witnessUrl}/audit/witnessed`)).json()) as {
      witness: string;
      checkpoints: Array<{ log: string }>;
    };
    expect(copies.witness).toBe('broker/national');
    // 10 alerts accepted: a checkpoint every 4 entries, and the final one at stop.
    expect(copies.checkpoints.filter((c) => c.log === 'broker/MH').length).toBeGreaterThanOrEqual(
      3,
    );
    const v = await verify(db(), ['--witness', witnessUrl]);
    expect(v.code, v.r.stderr).toBe(0);
    expect(v.out).toMatchObject({ ok: true, entries: 10 });
    expect(v.out['witnessed']).toBeGreaterThanOrEqual(3);
  });

  it('finds an entry forged after the last checkpoint, with the checkpoints removed from the copy', async () => {
    const file = copy('forged');
    const d = new Database(file);
    new SqliteAuditTable(d).append({
      at: new Date().toISOString(),
      actor: 'station/MH/PUNE/PS001',
      action: 'lookup.person',
      outcome: 'ok',
      results: 0,
    });
    d.prepare('DELETE FROM audit_checkpoints').run();
    d.close();
    const alone = await verify(file);
    expect(alone.code).toBe(8);
    expect(alone.out['problems']).toEqual(problem('unchecked'));
    const w = await verify(file, ['--witness', witnessFile]);
    expect(w.code).toBe(8);
    expect(w.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'unwitnessed', seq: 11 })]),
    );
  });

  it('finds the tail cut after the last checkpoint the copy keeps', async () => {
    const file = copy('tail-cut');
    const d = new Database(file);
    d.prepare('DELETE FROM audit WHERE seq > 8').run();
    d.prepare('DELETE FROM audit_checkpoints WHERE seq > 8').run();
    d.close();
    const w = await verify(file, ['--witness', witnessUrl]);
    expect(w.code).toBe(8);
    expect(w.out['problems']).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'truncated', seq: 10 })]),
    );
  });

  it('finds the whole log re-chained, and the log cut, with the checkpoints emptied', async () => {
    const rewritten = copy('rechained');
    const r = new Database(rewritten);
    const bodies = (
      r.prepare('SELECT body FROM audit ORDER BY seq').all() as Array<{ body: string }>
    ).map((x) => JSON.parse(x.body) as AuditBody);
    r.prepare('DELETE FROM audit').run();
    r.prepare('DELETE FROM audit_checkpoints').run();
    const table = new SqliteAuditTable(r);
    for (const b of bodies) table.append({ ...b, actor: 'station/MH/PUNE/PS002' });
    r.close();
    const alone = await verify(rewritten);
    expect(alone.code).toBe(8);
    expect(alone.out['problems']).toEqual(problem('unchecked'));
    // Told to check the chain alone, it passes: that is what --no-checkpoints means.
    expect((await verify(rewritten, ['--no-checkpoints'])).code).toBe(0);
    const w = await verify(rewritten, ['--witness', witnessFile, '--log', 'broker/MH']);
    expect(w.code).toBe(8);
    expect(w.out['problems']).toEqual(problem('rewritten'));

    const cut = copy('cut-emptied');
    const c = new Database(cut);
    c.prepare('DELETE FROM audit WHERE seq >= 4').run();
    c.prepare('DELETE FROM audit_checkpoints').run();
    c.close();
    expect((await verify(cut)).code).toBe(8);
    const wc = await verify(cut, ['--witness', witnessUrl, '--log', 'broker/MH']);
    expect(wc.code).toBe(8);
    expect(wc.out['problems']).toEqual(problem('truncated'));
  });

  it('says clearly when the witness cannot be read', async () => {
    const r = await cctns(['audit', 'verify', '--db', db(), '--witness', join(dir, 'nope.json')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/AUDIT_UNAVAILABLE.*no such file/);
  });
});
