import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessStream, type Broker } from '@cctns/broker';
import { Accounts, ConsoleServer, totpCode } from '@cctns/hq-console';
import { selfSignedWebCertificate, writeSecretFile, type Pki } from '@cctns/pki';
import type { Agent } from '@cctns/station-agent';
import { startFakeTwilio, type FakeTwilio } from './fake-twilio.js';
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
} from './network.js';
import { freePort } from './processes.js';
import { startSmtp, type SmtpTestServer } from './smtp.js';

/** The operators every test console has; the password is the same for all. */
export const OPERATORS = {
  admin: { role: 'administrator', scope: 'national' },
  duty1: { role: 'duty-officer', scope: 'national' },
  duty2: { role: 'duty-officer', scope: 'national' },
  viewer: { role: 'viewer', scope: 'national' },
  mhduty: { role: 'duty-officer', scope: 'MH' },
} as const;
export const OPERATOR_PASSWORD = 'a long passphrase 1';

/** Stations of the test network. */
export const STATIONS = [
  'station/MH/PUNE/PS001',
  'station/MH/PUNE/PS002',
  'station/MH/MUMBAI/PS003',
  'station/KA/BENGALURU/PS001',
] as const;

/** A network for console tests: national, MH and KA brokers on one backbone, stations, consoles. */
export interface ConsoleNetwork {
  dir: string;
  pki: Pki;
  brokers: Map<string, Broker>;
  stations: Map<string, Agent>;
  /** The national duty officers' own agents (`hq/national/<username>`): they sign approvals. */
  officers: Map<string, Agent>;
  /** The national console (stateBrokers MH and KA) and the MH console. */
  national: ConsoleServer;
  mh: ConsoleServer;
  twilio: FakeTwilio;
  smtp: SmtpTestServer;
  totp: Record<keyof typeof OPERATORS, string>;
  /** A current TOTP code for an operator. */
  code(username: keyof typeof OPERATORS): string;
  stop(): Promise<void>;
}

/**
 * Starts the console test network. The MH broker has notifications (a local Twilio-API server,
 * a real SMTP server, a contact directory with the SHOs of its stations). The national console
 * serves HTTPS with a self-signed certificate when `https` is set; otherwise plain HTTP on
 * loopback, which only tests use.
 */
export async function startConsoleNetwork(
  name: string,
  opts: { https?: boolean; directoryPollMs?: number; consoleClock?: () => Date } = {},
): Promise<ConsoleNetwork> {
  const dir = tempDir(name);
  const twilio = await startFakeTwilio();
  const smtp = await startSmtp();
  const { pki } = await makePki(dir, ['MH', 'KA', 'CENTRAL']);
  writeFileSync(
    join(dir, 'contacts.json'),
    JSON.stringify({
      version: 1,
      contacts: [
        {
          id: 'sho-pune-ps001',
          name: 'SHO Pune PS001',
          role: 'SHO',
          scope: 'station/MH/PUNE/PS001',
          phone: '+919800000001',
          email: 'sho.ps001@mh.police.example',
        },
        {
          id: 'sho-pune-ps002',
          name: 'SHO Pune PS002',
          role: 'SHO',
          scope: 'station/MH/PUNE/PS002',
          phone: '+919800000002',
        },
      ],
    }),
  );
  // One chain whose step falls due after the tests are over: the console shows it as upcoming.
  writeFileSync(
    join(dir, 'escalation.json'),
    JSON.stringify({
      version: 1,
      chains: [
        {
          name: 'unacknowledged',
          match: { severities: ['extreme'] },
          steps: [{ after: '1h', level: 'station', roles: ['SHO'], channels: ['sms'] }],
        },
      ],
    }),
  );
  const stream = new InProcessStream();
  const brokers = new Map<string, Broker>();
  const http = `127.0.0.1:${await freePort()}`;
  brokers.set(
    'national',
    await startBroker(dir, pki, 'national', {}, { backbone: await stream.connect() }),
  );
  brokers.set(
    'MH',
    await startBroker(
      dir,
      pki,
      'MH',
      {
        httpListen: http,
        notify: {
          contacts: join(dir, 'contacts.json'),
          escalation: join(dir, 'escalation.json'),
          tickSeconds: 1,
          sms: {
            accountSid: twilio.accountSid,
            from: '+15005550006',
            statusCallbackUrl: `http://${http}/twilio/status`,
            baseUrl: twilio.url,
            ratePerSecond: 10,
          },
          email: {
            host: smtp.host,
            port: smtp.port,
            from: 'CCTNS Alerts <alerts@cctns.example.in>',
            ratePerSecond: 10,
          },
        },
      },
      { backbone: await stream.connect(), env: { CCTNS_TWILIO_AUTH_TOKEN: twilio.authToken } },
    ),
  );
  brokers.set('KA', await startBroker(dir, pki, 'KA', {}, { backbone: await stream.connect() }));

  const stations = new Map<string, Agent>();
  for (const identity of STATIONS) {
    const state = identity.split('/')[1]!;
    const agent = await enrollStation(
      dir,
      pki,
      pki.unlockCa(state, TEST_PASSPHRASE),
      brokers.get(state)!,
      identity,
    );
    runFast(agent);
    stations.set(identity, agent);
  }

  // Each national duty officer's own agent and key, with which they approve broadcasts.
  const officers = new Map<string, Agent>();
  for (const [username, o] of Object.entries(OPERATORS))
    if (o.scope === 'national' && o.role === 'duty-officer')
      officers.set(
        username,
        await enrollStation(
          dir,
          pki,
          pki.unlockCa('CENTRAL', TEST_PASSPHRASE),
          brokers.get('national')!,
          `hq/national/${username}`,
        ),
      );

  const totp = {} as Record<keyof typeof OPERATORS, string>;
  const consoleAt = async (scope: 'national' | 'MH') => {
    const cdir = join(dir, `console-${scope}`);
    await provision(
      pki,
      pki.unlockCa(scope === 'national' ? 'CENTRAL' : scope, TEST_PASSPHRASE),
      `hq/${scope}/console`,
      join(cdir, 'tls'),
    );
    const accounts = new Accounts(join(cdir, 'console.db'));
    for (const [username, o] of Object.entries(OPERATORS)) {
      if (o.scope !== scope) continue;
      const r = await accounts.add({
        username,
        ...o,
        password: OPERATOR_PASSWORD,
        now: new Date(),
      });
      totp[username as keyof typeof OPERATORS] = r.totpSecret;
    }
    accounts.close();
    let https: { cert: string; key: string } | undefined;
    if (opts.https && scope === 'national') {
      const web = await selfSignedWebCertificate({ hosts: ['localhost', '127.0.0.1'] });
      mkdirSync(join(cdir, 'https'), { recursive: true });
      writeSecretFile(join(cdir, 'https', 'key.pem'), web.keyPem);
      writeFileSync(join(cdir, 'https', 'cert.pem'), web.certPem);
      https = { cert: join(cdir, 'https', 'cert.pem'), key: join(cdir, 'https', 'key.pem') };
    }
    return ConsoleServer.start({
      listen: '127.0.0.1:0',
      broker: brokers.get(scope)!.addresses.grpc,
      ...(scope === 'national'
        ? {
            stateBrokers: {
              MH: brokers.get('MH')!.addresses.grpc,
              KA: brokers.get('KA')!.addresses.grpc,
            },
          }
        : {}),
      tls: {
        cert: join(cdir, 'tls', 'cert.pem'),
        key: join(cdir, 'tls', 'key.pem'),
        root: join(cdir, 'tls', 'root.pem'),
      },
      ...(https ? { https } : {}),
      consoleDir: cdir,
      secret: Buffer.alloc(32, scope === 'national' ? 1 : 2),
      secureCookies: Boolean(https),
      logger: testLogger,
      directoryPollMs: opts.directoryPollMs ?? 500,
      notificationPollMs: 500,
      sessionSweepMs: 200,
      ...(opts.consoleClock ? { clock: opts.consoleClock } : {}),
    });
  };
  const national = await consoleAt('national');
  const mh = await consoleAt('MH');
  return {
    dir,
    pki,
    brokers,
    stations,
    officers,
    national,
    mh,
    twilio,
    smtp,
    totp,
    code: (u) => totpCode(totp[u], new Date()),
    stop: async () => {
      await national.stop();
      await mh.stop();
      for (const a of [...stations.values(), ...officers.values()]) await a.close();
      for (const b of brokers.values()) await b.stop();
      await twilio.close();
      await smtp.stop();
      pki.close();
    },
  };
}

/** A duty officer approves a console broadcast's draft with their own agent once it waits at the broker. */
export async function approveWithAgent(
  net: ConsoleNetwork,
  username: string,
  alertId: string,
): Promise<void> {
  const officer = net.officers.get(username)!;
  await eventually(
    async () => (await officer.approvals().list()).some((d) => d.alert.identifier === alertId),
    15_000,
    `draft ${alertId} at the broker`,
  );
  await officer.approvals().approve(alertId);
}

/** Signs in over the REST API (plain HTTP consoles) and returns the session cookie. */
export async function signIn(
  net: ConsoleNetwork,
  server: ConsoleServer,
  username: keyof typeof OPERATORS,
): Promise<string> {
  const res = await fetch(`${server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: OPERATOR_PASSWORD, code: net.code(username) }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username}: ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** Calls the console's REST API with a session cookie; returns status and JSON body. */
export async function api<T = Record<string, unknown>>(
  server: ConsoleServer,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      cookie,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}
