import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Broker } from '@cctns/broker';
import { Accounts, ConsoleServer, totpCode } from '@cctns/hq-console';
import type { Pki } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makePki,
  provision,
  startBroker,
  tempDir,
  testLogger,
  TEST_PASSPHRASE,
} from '../support/network.js';

// The console's HTTP edge against what browsers never send: broken percent-encoding, bodies of
// the wrong type, malformed or oversized JSON, bodies the server refuses before reading. Every
// one is a 400-class answer with a code, never a 5xx and never a reset connection.
const dir = tempDir('console-edge');
let pki: Pki;
let broker: Broker;
let server: ConsoleServer;
let host = '';
let port = 0;
let cookie = '';
const PASSWORD = 'a long passphrase 1';

interface Answer {
  status: number;
  body: { code?: string; message?: string };
}

/** One request over a fresh connection; a reset or a non-JSON answer fails the test. */
function call(
  method: string,
  path: string,
  opts: { body?: Buffer | string; type?: string; cookie?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(opts.type ? { 'content-type': opts.type } : {}),
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode!,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'],
            });
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Sends a POST whose body of `size` bytes goes out in pieces, as a slow client's would, then asks
 * `/healthz` on the same connection: the answers' status lines and anything that went wrong (a
 * connection reset while the body was still being sent is what a client sees instead of the answer
 * on a real network).
 */
function slowPost(
  path: string,
  type: string,
  size: number,
  extraHeaders = '',
): Promise<{ statuses: string[]; errors: string[] }> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const errors: string[] = [];
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    socket.on('close', () => resolve({ statuses: got.match(/HTTP\/1\.1 \d{3}/g) ?? [], errors }));
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: console\r\nContent-Type: ${type}\r\n${extraHeaders}Content-Length: ${size}\r\n\r\n`,
    );
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      if (sent >= size) {
        clearInterval(timer);
        socket.end('GET /healthz HTTP/1.1\r\nHost: console\r\nConnection: close\r\n\r\n');
        return;
      }
      const n = Math.min(64 * 1024, size - sent);
      socket.write(Buffer.alloc(n, 0x7b));
      sent += n;
    }, 2);
  });
}

/** Sends bytes as they are (a request line no client library would write) and reads the answer. */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH']));
  broker = await startBroker(dir, pki, 'MH');
  const mh = pki.unlockCa('MH', TEST_PASSPHRASE);
  await provision(pki, mh, 'hq/MH/console', join(dir, 'console-tls'));
  mkdirSync(join(dir, 'console'), { recursive: true });
  const accounts = new Accounts(join(dir, 'console', 'console.db'));
  const { totpSecret } = await accounts.add({
    username: 'duty1',
    role: 'duty-officer',
    scope: 'MH',
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
    secret: Buffer.alloc(32, 7),
    secureCookies: false,
    logger: testLogger,
  });
  [host, port] = [server.address.split(':')[0]!, Number(server.address.split(':')[1])];
  const res = await fetch(`http://${server.address}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: 'duty1',
      password: PASSWORD,
      code: totpCode(totpSecret, new Date()),
    }),
  });
  expect(res.status).toBe(200);
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await broker?.stop();
  pki?.close();
});

describe('console HTTP edge', () => {
  it('answers a path with broken percent-encoding 400 INPUT_INVALID, on the API and off it', async () => {
    for (const path of ['/api/alerts/%E0%A4%A', '/api/alerts/%ZZ', '/assets/%E0%A4%A.js', '/%']) {
      const r = await call('GET', path, { cookie });
      expect({ path, ...r }).toMatchObject({ path, status: 400, body: { code: 'INPUT_INVALID' } });
    }
    // Well-formed encoding of the same text still reaches the route.
    expect(await call('GET', '/api/alerts/%E0%A4%A8', { cookie })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
  });

  it('answers a body that is not application/json 400 INPUT_INVALID, small or large', async () => {
    for (const size of [8, 64 * 1024, 1024 * 1024]) {
      const r = await call('POST', '/api/session', { body: 'x'.repeat(size), type: 'text/plain' });
      expect({ size, ...r }).toMatchObject({ size, status: 400, body: { code: 'INPUT_INVALID' } });
    }
    const none = await call('POST', '/api/broadcasts', { body: '{}', cookie });
    expect(none).toMatchObject({ status: 400, body: { code: 'INPUT_INVALID' } });
  });

  it('answers malformed JSON 400 INPUT_INVALID, signed in or not', async () => {
    for (const sent of ['{', '{"username":', '[1,2]', 'null', '"text"', '\u0000\u00ff', '']) {
      const r = await call('POST', '/api/session', { body: sent, type: 'application/json' });
      expect({ sent, status: r.status, code: r.body.code }).toEqual({
        sent,
        status: 400,
        code: 'INPUT_INVALID',
      });
      const signedIn = await call('POST', '/api/broadcasts', {
        body: sent,
        type: 'application/json',
        cookie,
      });
      expect({ sent, status: signedIn.status, code: signedIn.body.code }).toEqual({
        sent,
        status: 400,
        code: 'INPUT_INVALID',
      });
    }
  });

  it('answers a JSON body over the size limit 400 INPUT_INVALID without a reset', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) });
    expect(
      await call('POST', '/api/session', { body: big, type: 'application/json' }),
    ).toMatchObject({ status: 400, body: { code: 'INPUT_INVALID' } });
  });

  it('answers a large body the server refuses before reading it (no session) 401 without a reset', async () => {
    const r = await call('POST', '/api/broadcasts', {
      body: JSON.stringify({ x: 'y'.repeat(1024 * 1024) }),
      type: 'application/json',
    });
    expect(r).toMatchObject({ status: 401, body: { code: 'SESSION_INVALID' } });
  });

  it('answers over one kept-alive connection, as browsers send, without a reset', async () => {
    const base = `http://${server.address}`;
    for (const [type, body] of [
      ['text/plain', 'x'.repeat(1024 * 1024)],
      ['application/json', '{'.repeat(300 * 1024)],
      ['application/x-www-form-urlencoded', 'a=1'],
    ] as const) {
      const res = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      expect(((await res.json()) as { code: string }).code).toBe('INPUT_INVALID');
    }
  });

  const MiB = 1024 * 1024;
  const CONTINUE = 'Expect: 100-continue\r\n';
  it.each([
    ['a JSON body over the size limit', '/api/session', 'application/json', MiB, ''],
    ['a text/plain body', '/api/session', 'text/plain', MiB, ''],
    [
      'a body refused before it is read (no session)',
      '/api/broadcasts',
      'application/json',
      MiB,
      '',
    ],
    ['a text/plain body after Expect: 100-continue', '/api/session', 'text/plain', MiB, CONTINUE],
    [
      'malformed JSON after Expect: 100-continue',
      '/api/session',
      'application/json',
      200 * 1024,
      CONTINUE,
    ],
    [
      'JSON over the limit after Expect: 100-continue',
      '/api/session',
      'application/json',
      MiB,
      CONTINUE,
    ],
  ])(
    'answers %s, sent slowly, with a 4xx, reads the rest, and keeps the connection',
    async (_what, path, type, size, headers) => {
      const r = await slowPost(path, type, size, headers);
      expect(r.errors).toEqual([]);
      const final = r.statuses.filter((x) => !x.endsWith(' 100'));
      expect(final).toHaveLength(2);
      expect(final[0]).toMatch(/HTTP\/1\.1 4\d\d/);
      expect(final[1]).toBe('HTTP/1.1 200');
    },
  );

  it('answers a request target that is not a path 400 INPUT_INVALID', async () => {
    const answer = await rawRequest(
      'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('INPUT_INVALID');
  });
});
