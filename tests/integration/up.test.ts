import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { request as httpsRequest } from 'node:https';
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
  approver: { identity: string; dir: string };
  console: { url: string; operators: string };
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

  it('serves the national HQ console over HTTPS, with first operators in a 0600 file', async () => {
    expect(ready.console.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(ready.console.operators).mode & 0o777).toBe(0o600);
    const operators = JSON.parse(readFileSync(ready.console.operators, 'utf8')) as Array<{
      username: string;
      role: string;
      password: string;
      totpSecret: string;
    }>;
    expect(operators.map((o) => `${o.username}:${o.role}`)).toEqual([
      'admin:administrator',
      'duty1:duty-officer',
      'duty2:duty-officer',
    ]);
    const ca = readFileSync(join(work, 'data', 'console', 'https', 'cert.pem'));
    const get = (path: string, headers: Record<string, string> = {}, body?: string) =>
      new Promise<{ status: number; body: string; cookie?: string }>((resolve, reject) => {
        const req = httpsRequest(
          `${ready.console.url}${path}`,
          { ca, servername: 'localhost', method: body ? 'POST' : 'GET', headers },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                body: text,
                ...(res.headers['set-cookie'] ? { cookie: res.headers['set-cookie'][0]! } : {}),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(JSON.parse((await get('/healthz')).body)).toMatchObject({ scope: 'national' });
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<div id="root">/);
    // The code comes from the CLI helper a local user would use.
    const duty1 = operators[1]!;
    const { stdout } = await cctns(['--json', 'console', 'totp', '--secret', duty1.totpSecret]);
    const { code } = JSON.parse(stdout) as { code: string };
    const signIn = await get(
      '/api/session',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: 'duty1', password: duty1.password, code }),
    );
    expect(signIn.status).toBe(200);
    expect(signIn.cookie).toMatch(/; HttpOnly; Secure; SameSite=Strict/);
    // Each state broker has an example contact directory, which the console reads.
    const contacts = await get('/api/contacts?state=MH', {
      cookie: signIn.cookie!.split(';')[0]!,
    });
    expect(contacts.status).toBe(200);
    const doc = JSON.parse(contacts.body) as { document: { contacts: Array<{ role: string }> } };
    expect(doc.document.contacts.map((c) => c.role).sort()).toEqual([
      'SHO',
      'SHO',
      'SP',
      'SP',
      'STATE-HQ',
    ]);
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
    const sending = cctns([
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
    // A second duty officer approves it with their own agent, as the two-person rule requires.
    const draftId = await eventually(
      async () => {
        const r = await cctns(['--json', 'agent', '--dir', ready.approver.dir, 'drafts']);
        return (JSON.parse(r.stdout) as Array<{ alertId: string; headline: string }>).find(
          (d) => d.headline === 'Nationwide watch',
        )?.alertId;
      },
      20_000,
      'the draft waiting for approval',
    );
    const approve = await cctns([
      '--json',
      'agent',
      '--dir',
      ready.approver.dir,
      'approve',
      draftId,
    ]);
    expect(approve.code, approve.stderr).toBe(0);
    const send = await sending;
    expect(send.stderr).toBe('');
    const { alertId } = JSON.parse(send.stdout) as { alertId: string };
    for (const s of ready.stations) {
      await eventually(
        async () => {
          const r = await cctns(['--json', 'agent', '--dir', s.dir, 'inbox']);
          return (JSON.parse(r.stdout) as Array<{ alertId: string; approvedBy: string }>).some(
            (i) => i.alertId === alertId && i.approvedBy === ready.approver.identity,
          );
        },
        15_000,
        `national alert at ${s.identity}, approved by ${ready.approver.identity}`,
      );
    }
  });

  it('keeps stdout to the one ready line with --json; the lines for people go to stderr', () => {
    const lines = net.stdout().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ ready: true });
    expect(net.output()).toContain('The network is up');
  });

  it('refuses a second cctns up on the data folder in use, leaving the running network alone', async () => {
    const agentJson = join(ready.stations[0]!.dir, 'agent.json');
    const before = readFileSync(agentJson, 'utf8');
    const second = await cctns(
      ['up', '--port-base', '0', '--data', join(work, 'data'), '--states', 'MH,KA'],
      { cwd: work },
    );
    expect(second.code).toBe(9);
    expect(second.stderr).toContain(
      `error[DATA_IN_USE]: data folder in use by pid ${net.child.pid}`,
    );
    expect(readFileSync(agentJson, 'utf8')).toBe(before);
  });

  it('refuses a port in use before creating anything, naming the port and --port-base', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as AddressInfo).port;
    try {
      const fresh = join(work, 'ports-taken');
      const r = await cctns(['--json', 'up', '--port-base', String(port - 1), '--data', fresh], {
        cwd: work,
      });
      expect(r.code).toBe(9);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toMatchObject({
        error: { code: 'PORT_IN_USE', message: expect.stringContaining(`port ${port}`) },
      });
      expect(r.stderr).toContain('--port-base');
      expect(existsSync(fresh)).toBe(false);
      const human = await cctns(['up', '--port-base', String(port - 1), '--data', fresh], {
        cwd: work,
      });
      expect(human.stderr).toMatch(new RegExp(`^error\\[PORT_IN_USE\\]: port ${port} `, 'm'));
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
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
