import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import type { Broker } from '@cctns/broker';
import type { IssuingCa, Pki } from '@cctns/pki';
import { DirectoryServiceClient, type ListStationsResponse } from '@cctns/proto';
import { AgentError, enroll, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import {
  enrollStation,
  eventually,
  makePki,
  runFast,
  startBroker,
  tempDir,
} from '../support/network.js';

// Network enrollment (token + CSR over server TLS), renewal over the mutual-TLS link, and the
// station directory, against a real broker.
const dir = tempDir('enroll');
let pki: Pki;
let mh: IssuingCa;
let ka: IssuingCa;
let broker: Broker;
let agent: Agent;

beforeAll(async () => {
  const made = await makePki(dir, ['MH', 'KA']);
  pki = made.pki;
  mh = made.cas.get('MH')!;
  ka = made.cas.get('KA')!;
  broker = await startBroker(dir, pki, 'MH');
  agent = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
  runFast(agent);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await broker?.stop();
  pki?.close();
});

describe('enrollment over the network', () => {
  it('enrolls with the CLI: key made locally (0600), certificate from the broker', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS005');
    const adir = join(dir, 'cli-ps005');
    const root = join(dir, 'root.pem');
    writeFileSync(root, pki.root.toString());
    const r = await cctns([
      '--json',
      'agent',
      '--dir',
      adir,
      'enroll',
      '--broker',
      broker.addresses.grpc,
      '--enroll',
      broker.addresses.enroll!,
      '--token',
      token,
      '--root',
      root,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ identity: 'station/MH/PUNE/PS005' });
    expect(statSync(join(adir, 'key.pem')).mode & 0o777).toBe(0o600);
    const status = await cctns(['--json', 'agent', '--dir', adir, 'status']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      identity: 'station/MH/PUNE/PS005',
      link: { state: 'never connected' },
    });
  });

  it('refuses a reused token with the CA reason, and writes nothing', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS006');
    await enroll({
      dir: join(dir, 'ps006'),
      broker: broker.addresses.grpc,
      enrollAddress: broker.addresses.enroll!,
      token,
      rootPem: pki.root.toString(),
    });
    const again = enroll({
      dir: join(dir, 'ps006-again'),
      broker: broker.addresses.grpc,
      enrollAddress: broker.addresses.enroll!,
      token,
      rootPem: pki.root.toString(),
    });
    await expect(again).rejects.toMatchObject({
      code: 'ENROLL_FAILED',
      message: expect.stringContaining('TOKEN_REUSED'),
    });
    expect(existsSync(join(dir, 'ps006-again', 'key.pem'))).toBe(false);
  });

  it("refuses another state's token at this state's broker", async () => {
    const { token } = await ka.createToken('station/KA/BENGALURU/PS001');
    await expect(
      enroll({
        dir: join(dir, 'ka1'),
        broker: broker.addresses.grpc,
        enrollAddress: broker.addresses.enroll!,
        token,
        rootPem: pki.root.toString(),
      }),
    ).rejects.toMatchObject({
      code: 'ENROLL_FAILED',
      message: expect.stringMatching(/CA_NOT_AUTHORIZED|TOKEN_AUDIENCE/),
    });
  });

  it('refuses to talk to a server that is not a broker of this PKI (BROKER_UNTRUSTED), quickly', async () => {
    const other = await makePki(join(dir, 'other'), ['MH']);
    try {
      const { token } = await mh.createToken('station/MH/PUNE/PS007');
      const p = enroll({
        dir: join(dir, 'ps007'),
        broker: broker.addresses.grpc,
        enrollAddress: broker.addresses.enroll!,
        token,
        rootPem: other.pki.root.toString(),
      });
      await expect(p).rejects.toBeInstanceOf(AgentError);
      await expect(p).rejects.toMatchObject({ code: 'BROKER_UNTRUSTED' });
      expect(existsSync(join(dir, 'ps007', 'key.pem'))).toBe(false);
    } finally {
      other.pki.close();
    }
  });
});

describe('renewal over the link', () => {
  it('renews the certificate with the same key and keeps the link working', async () => {
    const before = agent.certificate().serialNumber;
    const res = await agent.renew();
    const after = new X509Certificate(readFileSync(join(agent.dir, 'cert.pem')));
    expect(after.serialNumber).not.toBe(before);
    expect(res.serial).toBe(after.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect((await pki.store.certificates({ identity: agent.identity }))[0]).toMatchObject({
      how: 'renew',
    });
  });
});

describe('station directory', () => {
  it('lists stations with online state, cursor and backlog', async () => {
    await eventually(() => broker.connectedStations().includes(agent.identity), 10_000, 'link');
    const c = {
      root: readFileSync(join(agent.dir, 'root.pem')),
      key: readFileSync(join(agent.dir, 'key.pem')),
      cert: readFileSync(join(agent.dir, 'cert.pem')),
    };
    const client = new DirectoryServiceClient(
      broker.addresses.grpc,
      credentials.createSsl(c.root, c.key, c.cert, { checkServerIdentity: () => undefined }),
      { 'grpc.ssl_target_name_override': 'broker.cctns' },
    );
    const res = await new Promise<ListStationsResponse>((resolve, reject) =>
      client.listStations(
        { state: 'MH', district: '', onlineOnly: false },
        (e: ServiceError | null, r?: ListStationsResponse) => (e ? reject(e) : resolve(r!)),
      ),
    );
    client.close();
    const me = res.stations.find((s) => s.identity === agent.identity);
    expect(me).toMatchObject({ online: true, backlog: 0 });
    expect(me?.certNotAfter?.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('enrollment errors an officer can act on', () => {
  it('says the broker is unreachable when nothing listens', async () => {
    const { token } = await mh.createToken('station/MH/PUNE/PS008');
    await expect(
      enroll({
        dir: join(dir, 'ps008'),
        broker: '127.0.0.1:1',
        enrollAddress: '127.0.0.1:1',
        token,
        rootPem: pki.root.toString(),
      }),
    ).rejects.toMatchObject({ code: 'BROKER_UNREACHABLE' });
  });
});
