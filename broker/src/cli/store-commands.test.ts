import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { verifyAuditChain } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBrokerStore } from '../store/sqlite.js';
import { registerBrokerCommands } from './broker-commands.js';

let dir: string;
let config: string;
const T0 = new Date('2026-01-15T10:00:00.000Z');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-broker-export-'));
  mkdirSync(join(dir, 'tls'));
  for (const f of ['cert.pem', 'key.pem', 'root.pem']) writeFileSync(join(dir, 'tls', f), '');
  config = join(dir, 'broker.json');
  writeFileSync(
    config,
    JSON.stringify({
      identity: 'broker/MH',
      tls: { cert: 'tls/cert.pem', key: 'tls/key.pem', root: 'tls/root.pem' },
      store: 'sqlite:broker.db',
    }),
  );
  const store = new SqliteBrokerStore(join(dir, 'broker.db'));
  for (let i = 1; i <= 25; i++)
    await store.append({
      kind: 'alert',
      id: `A-${i}`,
      sender: 'station/MH/PUNE/PS001',
      targets: ['state/MH'],
      expiresAt: null,
      createdAt: T0,
      ref: null,
      jws: `jws-${i}-चोरी`,
    });
  await store.touchStation('station/MH/PUNE/PS001', { online: true, at: T0 });
  await store.advanceCursor('station/MH/PUNE/PS001', 20);
  for (let i = 1; i <= 7; i++)
    await store.appendAudit({
      at: new Date(T0.getTime() + i).toISOString(),
      actor: 'agency/CBI/DELHI-HQ',
      action: 'lookup.person',
      outcome: 'ok',
      purpose: { reference: 'FIR 9/2026', reason: 'investigation' },
    });
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `cctns broker …` in-process and returns what it printed on stdout. */
async function cctns(...args: string[]): Promise<string> {
  const program = new Command('cctns').option('--json').exitOverride();
  registerBrokerCommands(program);
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (printed.push(String(s)), true)) as typeof write;
  try {
    await program.parseAsync(['broker', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return printed.join('');
}

describe('cctns broker export / import', () => {
  it('moves a store to another through a dump: export → import → export is byte-identical', async () => {
    const dump = join(dir, 'dump.jsonl');
    // --store everywhere: a MONGODB_URI in the test's environment must not redirect these.
    const exported = JSON.parse(
      await cctns(
        'export',
        '--json',
        '--config',
        config,
        '--store',
        'sqlite:broker.db',
        '--out',
        dump,
      ),
    ) as { lines: number; counts: Record<string, number> };
    expect(exported).toMatchObject({ lines: 35, counts: { log: 25, station: 1, audit: 7 } });
    const lines = readFileSync(dump, 'utf8').split('\n');
    expect(lines).toHaveLength(36);
    expect(JSON.parse(lines[0]!)).toEqual({
      type: 'header',
      format: 'cctns-broker-store',
      version: 1,
    });

    const imported = JSON.parse(
      await cctns(
        'import',
        '--json',
        '--config',
        config,
        '--store',
        'sqlite:moved.db',
        '--in',
        dump,
      ),
    ) as { counts: Record<string, number>; audit: { chainOk: boolean; entries: number } };
    expect(imported.counts).toEqual(exported.counts);
    expect(imported.audit).toMatchObject({ chainOk: true, entries: 7 });

    const again = join(dir, 'again.jsonl');
    await cctns(
      'export',
      '--json',
      '--config',
      config,
      '--store',
      'sqlite:moved.db',
      '--out',
      again,
    );
    expect(readFileSync(again)).toEqual(readFileSync(dump));

    const moved = new SqliteBrokerStore(join(dir, 'moved.db'));
    try {
      expect(verifyAuditChain(await moved.auditEntries(0, 100))).toMatchObject({
        ok: true,
        entries: 7,
      });
      expect((await moved.stations())[0]).toMatchObject({ cursor: 20 });
    } finally {
      await moved.close();
    }
  });

  it('refuses to import into a store that holds data, and to overwrite a dump', async () => {
    const dump = join(dir, 'dump2.jsonl');
    await cctns(
      'export',
      '--json',
      '--config',
      config,
      '--store',
      'sqlite:broker.db',
      '--out',
      dump,
    );
    await expect(
      cctns('import', '--config', config, '--store', 'sqlite:broker.db', '--in', dump),
    ).rejects.toMatchObject({ code: 'STORE_NOT_EMPTY' });
    await expect(
      cctns('export', '--config', config, '--store', 'sqlite:broker.db', '--out', dump),
    ).rejects.toMatchObject({ code: 'DUMP_INVALID' });
  });

  it('refuses a cut dump and names the problem, leaving the target empty', async () => {
    const dump = join(dir, 'cut.jsonl');
    const full = readFileSync(join(dir, 'dump.jsonl'), 'utf8').split('\n');
    writeFileSync(dump, full.slice(0, 20).join('\n'));
    await expect(
      cctns('import', '--config', config, '--store', 'sqlite:cut.db', '--in', dump),
    ).rejects.toThrow(/no end line: the file was cut short/);
    const target = new SqliteBrokerStore(join(dir, 'cut.db'));
    try {
      expect(await target.head()).toBe(0);
    } finally {
      await target.close();
    }
    writeFileSync(
      dump,
      [...full.slice(0, 3), '{"type":"log","seq":{"$gt":0}}', ...full.slice(3)].join('\n'),
    );
    await expect(
      cctns('import', '--config', config, '--store', 'sqlite:cut.db', '--in', dump),
    ).rejects.toThrow(/^line 4: log.seq must be a positive integer/);
  });
});
