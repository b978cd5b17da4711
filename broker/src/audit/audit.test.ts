import type { AuditBody, JwsSigner } from '@cctns/pki';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteBrokerStore } from '../store/sqlite.js';
import { Audit } from './audit.js';

/** An audit over a real SQLite store that counts the store's commits. */
function setUp() {
  const store = new SqliteBrokerStore(':memory:');
  const commits: number[] = [];
  const audit = new Audit({
    store: {
      appendAudits: (bodies: readonly AuditBody[]) => {
        commits.push(bodies.length);
        return store.appendAudits(bodies);
      },
      auditHead: () => store.auditHead(),
      addAuditCheckpoint: (c) => store.addAuditCheckpoint(c),
    },
    identity: 'broker/MH',
    signer: () => ({}) as JwsSigner,
    logger: pino({ level: 'silent' }),
    clock: () => new Date('2026-12-07T10:00:00Z'),
  });
  return { store, audit, commits };
}

const entry = (i: number) => ({
  actor: 'station/MH/PUNE/PS1',
  action: 'alert.accepted',
  outcome: 'ok' as const,
  subject: `a${i}`,
});

describe('Audit', () => {
  it('commits the entries recorded in one turn of the event loop together, in order', async () => {
    const { store, audit, commits } = setUp();
    const entries = await Promise.all([1, 2, 3].map((i) => audit.record(entry(i))));
    expect(commits).toEqual([3]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await store.auditEntries(0, 10)).map((e) => e.body.subject)).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
  });

  it('commits entries nobody waits for within milliseconds, sharing one commit, after those before them', async () => {
    const { store, audit, commits } = setUp();
    for (let i = 1; i <= 10; i++) audit.recordSoon(entry(i));
    const last = await audit.record(entry(11));
    expect(last.seq).toBe(11);
    expect(commits).toEqual([11]);
    for (let i = 12; i <= 20; i++) audit.recordSoon(entry(i));
    await new Promise((r) => setTimeout(r, 30));
    expect(commits).toEqual([11, 9]);
    expect((await store.auditHead()).seq).toBe(20);
  });
});
