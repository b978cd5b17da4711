import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '@cctns/station-agent';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns, tempDir } from '../support/cli.js';
import { makePki, startBroker, TEST_PASSPHRASE, testLogger } from '../support/network.js';

// Bulk enrollment: a token file per station of a CSV, and a station enrolled from its file.
const work = tempDir('bulk-enroll');
const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE, CCTNS_PKI_DIR: join(work, 'pki') };
let pki: Pki;
let broker: Broker;
const stations = ['station/MH/PUNE/PS001', 'station/MH/PUNE/PS002', 'station/MH/NAGPUR/PS003'];

beforeAll(async () => {
  ({ pki } = await makePki(work, ['MH']));
  broker = await startBroker(work, pki, 'MH');
  writeFileSync(
    join(work, 'stations.csv'),
    `name,identity\nPune 1,${stations[0]}\nPune 2,"${stations[1]}"\n\nNagpur 3,${stations[2]}\n`,
  );
}, 120_000);

afterAll(async () => {
  await broker?.stop();
  pki?.close();
});

describe('cctns pki token --csv', () => {
  it('writes one 0600 token file per station, progress on stderr and a JSON summary', async () => {
    const r = await cctns(
      [
        '--json',
        'pki',
        'token',
        '--ca',
        'MH',
        '--csv',
        'stations.csv',
        '--out',
        'tokens',
        '--ttl',
        '7d',
      ],
      { cwd: work, env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tokens 3/3 (${stations[2]})`);
    const summary = JSON.parse(r.stdout) as {
      count: number;
      tokens: Array<{ identity: string; file: string }>;
    };
    expect(summary.count).toBe(3);
    expect(summary.tokens.map((t) => t.identity)).toEqual(stations);
    expect(readdirSync(join(work, 'tokens')).sort()).toEqual(
      stations.map((s) => `${s.replace(/\//g, '_')}.token`).sort(),
    );
    for (const t of summary.tokens) {
      expect(statSync(t.file).mode & 0o777).toBe(0o600);
      const claims = JSON.parse(
        Buffer.from(readFileSync(t.file, 'utf8').trim().split('.')[1]!, 'base64url').toString(),
      ) as { sub: string; exp: number; iat: number };
      expect(claims.sub).toContain(t.identity);
      expect(claims.exp - claims.iat).toBe(7 * 86_400);
    }
  });

  it('refuses a CSV with a bad identity, naming the line, before writing anything', async () => {
    writeFileSync(join(work, 'bad.csv'), `identity\n${stations[0]}\nstation/XX/A/B\n`);
    const r = await cctns(['pki', 'token', '--ca', 'MH', '--csv', 'bad.csv', '--out', 'bad'], {
      cwd: work,
      env,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error\[(INPUT_INVALID|STATE_UNKNOWN)\]: bad\.csv line 3: /);
    expect(() => readdirSync(join(work, 'bad'))).toThrow();
  });

  it('does not replace token files that exist', async () => {
    const r = await cctns(
      ['pki', 'token', '--ca', 'MH', '--csv', 'stations.csv', '--out', 'tokens'],
      { cwd: work, env },
    );
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('error[ALREADY_EXISTS]: 3 token file(s) already exist');
  });

  it('enrolls a station from its token file (cctns agent enroll --token-file)', async () => {
    const dir = join(work, 'ps001');
    const r = await cctns(
      [
        'agent',
        '--dir',
        dir,
        'enroll',
        '--broker',
        broker.addresses.grpc,
        '--enroll',
        broker.addresses.enroll!,
        '--root',
        join(work, 'broker-MH', 'root.pem'),
        '--token-file',
        join(work, 'tokens', 'station_MH_PUNE_PS001.token'),
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Enrolled ${stations[0]}`);
    const agent = Agent.open(dir, { logger: testLogger });
    try {
      expect(agent.identity).toBe(stations[0]);
    } finally {
      agent.close();
    }
  });
});
