import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns, tempDir } from '../support/cli.js';
import { eventually } from '../support/network.js';
import { startNats } from '../support/nats.js';
import { startCctns, type CctnsProcess } from '../support/processes.js';

// `cctns up` as a newcomer runs it, and an officer's CLI against the running network.
const work = tempDir('up');
let net: CctnsProcess;
let ready: {
  brokers: Record<string, { grpc: string; http: string }>;
  stations: Array<{ identity: string; dir: string }>;
  hq: { identity: string; dir: string };
};

beforeAll(async () => {
  net = startCctns(
    [
      '--json',
      'up',
      '--port-base',
      '0',
      '--data',
      join(work, 'data'),
      '--states',
      'MH,KA',
      '--stations',
      '2',
    ],
    { cwd: work, env: { CCTNS_CA_PASSPHRASE: undefined } },
  );
  ready = (await net.ready) as typeof ready;
}, 120_000);

afterAll(async () => {
  net?.child.kill('SIGKILL');
});

describe('cctns up', () => {
  it('starts a broker per state and the stations, with health endpoints', async () => {
    expect(Object.keys(ready.brokers).sort()).toEqual(['KA', 'MH', 'national']);
    expect(ready.stations.map((s) => s.identity)).toEqual([
      'station/MH/PUNE/PS001',
      'station/MH/MUMBAI/PS002',
      'station/KA/BENGALURU/PS001',
      'station/KA/MYSURU/PS002',
    ]);
    const health = (await (await fetch(`http://${ready.brokers['MH']!.http}/healthz`)).json()) as {
      status: string;
      connectedStations: number;
    };
    expect(health).toMatchObject({ status: 'ok' });
    await eventually(
      async () =>
        (
          (await (await fetch(`http://${ready.brokers['MH']!.http}/healthz`)).json()) as {
            connectedStations: number;
          }
        ).connectedStations === 2,
      10_000,
      'stations linked',
    );
  });

  it('carries an inter-state alert sent with the CLI (MH to KA), which the KA station reads with the CLI', async () => {
    const [from, , to] = ready.stations;
    const send = await cctns([
      '--json',
      'agent',
      '--dir',
      from!.dir,
      'send',
      '--to-station',
      to!.identity,
      '--event',
      'Kidnapping',
      '--headline',
      'अपहरण: लड़की, 12 वर्ष',
      '--person',
      'name=सीमा;age=12;gender=female;role=missing',
      '--wait',
      '15s',
    ]);
    expect(send.stderr).toBe('');
    const { alertId } = JSON.parse(send.stdout) as { alertId: string; status: string };
    const inbox = await eventually(
      async () => {
        const r = await cctns(['--json', 'agent', '--dir', to!.dir, 'inbox']);
        const items = JSON.parse(r.stdout) as Array<{
          alertId: string;
          headline: string;
          sender: string;
        }>;
        return items.find((i) => i.alertId === alertId);
      },
      15_000,
      'alert in the inbox',
    );
    expect(inbox).toMatchObject({ headline: 'अपहरण: लड़की, 12 वर्ष', sender: from!.identity });
    const show = await cctns(['agent', '--dir', to!.dir, 'show', alertId]);
    expect(show.stdout).toContain('person: सीमा');
    const ack = await cctns([
      'agent',
      '--dir',
      to!.dir,
      'ack',
      alertId,
      '--note',
      'search teams out',
    ]);
    expect(ack.code).toBe(0);
    await eventually(
      async () => {
        const r = await cctns(['--json', 'agent', '--dir', from!.dir, 'sent']);
        const rows = JSON.parse(r.stdout) as Array<{
          alertId: string;
          delivered: number;
          read: number;
          acknowledged: number;
        }>;
        const row = rows.find((x) => x.alertId === alertId);
        return row && row.delivered === 1 && row.read === 1 && row.acknowledged === 1;
      },
      15_000,
      'receipt trail',
    );
  });

  it('carries a national broadcast sent with the CLI from national HQ to every station', async () => {
    const send = await cctns([
      '--json',
      'agent',
      '--dir',
      ready.hq.dir,
      'send',
      '--national',
      '--event',
      'Heinous crime',
      '--headline',
      'Nationwide watch',
      '--wait',
      '15s',
    ]);
    expect(send.stderr).toBe('');
    const { alertId } = JSON.parse(send.stdout) as { alertId: string };
    for (const s of ready.stations) {
      await eventually(
        async () => {
          const r = await cctns(['--json', 'agent', '--dir', s.dir, 'inbox']);
          return (JSON.parse(r.stdout) as Array<{ alertId: string }>).some(
            (i) => i.alertId === alertId,
          );
        },
        15_000,
        `national alert at ${s.identity}`,
      );
    }
  });

  it('stops cleanly on SIGINT and starts again on the same data', async () => {
    net.child.kill('SIGINT');
    expect(await net.exited).toBe(0);
    expect(net.output()).toContain('stopped.');
    net = startCctns(
      [
        '--json',
        'up',
        '--port-base',
        '0',
        '--data',
        join(work, 'data'),
        '--states',
        'MH,KA',
        '--stations',
        '2',
      ],
      { cwd: work },
    );
    const again = (await net.ready) as typeof ready;
    expect(again.stations.map((s) => s.dir)).toEqual(ready.stations.map((s) => s.dir));
    expect(net.output()).not.toContain('First run');
  });

  it('runs the same network on a running NATS with --nats, and carries an inter-state alert over it', async () => {
    net.child.kill('SIGINT');
    expect(await net.exited).toBe(0);
    // The NATS server presents a certificate of the network's own PKI and requires the brokers' certificates.
    const nats = await startNats({ tls: { dir: join(work, 'data', 'brokers', 'national') } });
    try {
      net = startCctns(
        [
          '--json',
          'up',
          '--port-base',
          '0',
          '--data',
          join(work, 'data'),
          '--states',
          'MH,KA',
          '--stations',
          '2',
          '--nats',
          nats.url,
        ],
        { cwd: work },
      );
      ready = (await net.ready) as typeof ready;
      const [from, , to] = ready.stations;
      const send = await cctns([
        '--json',
        'agent',
        '--dir',
        from!.dir,
        'send',
        '--to-station',
        to!.identity,
        '--event',
        'Over NATS',
        '--headline',
        'inter-state over JetStream',
        '--wait',
        '20s',
      ]);
      expect(send.stderr).toBe('');
      const { alertId } = JSON.parse(send.stdout) as { alertId: string };
      await eventually(
        async () => {
          const r = await cctns(['--json', 'agent', '--dir', to!.dir, 'inbox']);
          return (JSON.parse(r.stdout) as Array<{ alertId: string }>).some(
            (i) => i.alertId === alertId,
          );
        },
        20_000,
        'delivery over NATS',
      );
      net.child.kill('SIGINT');
      expect(await net.exited).toBe(0);
    } finally {
      await nats.stop();
    }
  }, 120_000);
});
