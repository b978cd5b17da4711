import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '@cctns/broker';
import {
  Accounts,
  ConsoleServer,
  totpCode,
  type AlertView,
  type ServerToClientEvents,
} from '@cctns/hq-console';
import type { Pki } from '@cctns/pki';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import { startCctns } from '../support/processes.js';
import {
  enrollStation,
  eventually,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  testLogger,
  TEST_PASSPHRASE,
} from '../support/network.js';

// The console server against a real broker: sign-in with password and TOTP, socket.io
// authenticated by the session cookie, live alerts from the supervision stream. Plain HTTP and
// non-Secure cookies here only because this test has no TLS terminator in front.
const dir = tempDir('console');
let pki: Pki;
let broker: Broker;
let station: Agent;
let peer: Agent;
let server: ConsoleServer;
let totp: string;
let base: string;
const PASSWORD = 'a long passphrase 1';

async function signIn(body: Record<string, string>): Promise<Response> {
  return fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA']));
  broker = await startBroker(dir, pki, 'MH');
  const mh = pki.unlockCa('MH', TEST_PASSPHRASE);
  station = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
  peer = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
  runFast(station);
  runFast(peer);
  await provision(pki, mh, 'hq/MH/console', join(dir, 'console-tls'));
  mkdirSync(join(dir, 'console'), { recursive: true });
  const accounts = new Accounts(join(dir, 'console', 'console.db'));
  ({ totpSecret: totp } = await accounts.add({
    username: 'duty1',
    role: 'duty-officer',
    scope: 'MH',
    password: PASSWORD,
    now: new Date(),
  }));
  await accounts.add({
    username: 'kaofficer',
    role: 'viewer',
    scope: 'KA',
    password: PASSWORD,
    now: new Date(),
  });
  accounts.close();
  server = await ConsoleServer.start({
    listen: '127.0.0.1:0',
    broker: broker.addresses.grpc,
    tls: {
      cert: join(dir, 'console-tls', 'cert.pem'),
      key: join(dir, 'console-tls', 'key.pem'),
      root: join(dir, 'console-tls', 'root.pem'),
    },
    consoleDir: join(dir, 'console'),
    secret: Buffer.alloc(32, 5),
    secureCookies: false,
    logger: testLogger,
  });
  base = `http://${server.address}`;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await station?.close();
  await peer?.close();
  await broker?.stop();
  pki?.close();
});

describe('console server', () => {
  it('refuses a wrong code and an operator of another state', async () => {
    const wrong = await signIn({ username: 'duty1', password: PASSWORD, code: '000000' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'AUTH_FAILED' });
    // kaofficer's code is unknown to the test, so use a wrong one: still AUTH_FAILED, never a hint.
    expect(
      (await signIn({ username: 'kaofficer', password: PASSWORD, code: '123456' })).status,
    ).toBe(401);
    expect((await fetch(`${base}/api/me`)).status).toBe(401);
    expect((await fetch(`${base}/api/session`, { method: 'POST', body: 'not json' })).status).toBe(
      400,
    );
  });

  it('signs in with password and TOTP, and streams live alerts over socket.io to the signed-in operator only', async () => {
    const res = await signIn({
      username: 'duty1',
      password: PASSWORD,
      code: totpCode(totp, new Date()),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/cctns_session=.+; HttpOnly; SameSite=Strict/);
    const me = await fetch(`${base}/api/me`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(await me.json()).toMatchObject({ username: 'duty1', scope: 'MH' });

    const anonymous: Socket = connect(base, { transports: ['websocket'], reconnection: false });
    const refused = await new Promise<Error>((resolve) => anonymous.on('connect_error', resolve));
    expect(refused.message).toMatch(/not signed in/);
    anonymous.close();

    const socket: Socket<ServerToClientEvents> = connect(base, {
      transports: ['websocket'],
      extraHeaders: { cookie: cookie.split(';')[0]! },
      reconnection: false,
    });
    const alerts: AlertView[] = [];
    const receipts: string[] = [];
    socket.on('alert', (a) => alerts.push(a));
    socket.on('receipt', (r) => receipts.push(`${r.station}:${r.kind}`));
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    const a = composeAlert({
      sender: station.identity,
      to: { stations: [peer.identity] },
      event: 'Kidnapping',
      headline: 'अपहरण: बच्ची, 8 वर्ष',
      severity: 'extreme',
      now: new Date(),
    });
    await station.send(a);
    const seen = await eventually(
      () => alerts.find((x) => x.id === a.identifier),
      10_000,
      'live alert in the console',
    );
    expect(seen).toMatchObject({
      headline: 'अपहरण: बच्ची, 8 वर्ष',
      severity: 'extreme',
      sender: station.identity,
      states: ['MH'],
    });
    await eventually(() => receipts.includes(`${peer.identity}:delivered`), 10_000, 'live receipt');
    const recent = await new Promise<{ ok: boolean; alerts?: AlertView[]; code?: string }>(
      (resolve) => (socket as unknown as Socket).emit('recent', { limit: 5 }, resolve),
    );
    expect(recent.ok && recent.alerts?.[0]?.id).toBe(a.identifier);
    const bad = await new Promise<{ ok: boolean; code?: string }>((resolve) =>
      (socket as unknown as Socket).emit('recent', { limit: 100000 }, resolve),
    );
    expect(bad).toMatchObject({ ok: false, code: 'INPUT_INVALID' });
    socket.close();
  });

  it('runs from the CLI with a config file: session secret made 0600, health answered, SIGINT stops it', async () => {
    const cfg = join(dir, 'console-cli.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        listen: '127.0.0.1:0',
        broker: broker.addresses.grpc,
        tls: {
          cert: 'console-tls/cert.pem',
          key: 'console-tls/key.pem',
          root: 'console-tls/root.pem',
        },
        consoleDir: 'console',
        secretFile: 'console/session-secret',
        secureCookies: false,
        insecureHttp: true,
      }),
    );
    const p = startCctns(['--json', 'console', 'start', '--config', cfg, '--log-level', 'warn']);
    const ready = (await p.ready) as { address: string; scope: string };
    expect(ready.scope).toBe('MH');
    expect(statSync(join(dir, 'console', 'session-secret')).mode & 0o777).toBe(0o600);
    expect(await (await fetch(`http://${ready.address}/healthz`)).json()).toMatchObject({
      status: 'ok',
      scope: 'MH',
    });
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    const bad = await cctns(['console', 'start', '--config', join(dir, 'nope.json')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('INPUT_INVALID');
  });
});
