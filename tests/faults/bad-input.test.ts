import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, type Client } from '@grpc/grpc-js';
import type { Pki } from '@cctns/pki';
import { AgentMessage, EnrollmentServiceService } from '@cctns/proto';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawLink } from '../support/raw-link.js';
import {
  eventually,
  makePki,
  provision,
  runFast,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';
import { freePort } from '../support/processes.js';
import { printFigures, secondsSince, seededRandom } from './figures.js';
import { enrollAt, initProcessBroker, type ProcessBroker } from './process-broker.js';

// 10,000 malformed, truncated, oversized and random inputs against a broker process's station
// link (mutual TLS, a valid certificate), its enrollment port, its raw TCP ports and its HTTP
// port, while a well-behaved station keeps sending: no crash, every good alert delivered.
const SEED = 20;
const dir = tempDir('fault-input');
let pki: Pki;
let broker: ProcessBroker;
let http: string;
let sender: Agent;
let receiver: Agent;
const fuzzDir = join(dir, 'fuzz-station');
const random = seededRandom(SEED);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (random() * 256) | 0));
const int = (n: number) => Math.floor(random() * n);

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH']));
  http = `127.0.0.1:${await freePort()}`;
  broker = await initProcessBroker(dir, pki, 'MH', { httpListen: http });
  await broker.start();
  sender = await enrollAt(pki, broker, 'station/MH/PUNE/PS001', join(dir, 'sender'));
  receiver = await enrollAt(pki, broker, 'station/MH/PUNE/PS002', join(dir, 'receiver'));
  await provision(pki, pki.unlockCa('MH', TEST_PASSPHRASE), 'station/MH/PUNE/PS666', fuzzDir);
  runFast(sender);
  runFast(receiver);
}, 120_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
  await broker?.kill();
  pki?.close();
});

/** One bad station-link frame: random, a truncated message, an oversized one, or garbage fields. */
function badFrame(i: number): Buffer {
  switch (i % 4) {
    case 0:
      return bytes(1 + int(512));
    case 1: {
      const whole = Buffer.from(
        AgentMessage.encode({
          ref: `t${i}`,
          body: { $case: 'alert', value: { jws: bytes(200).toString('base64') } },
        }).finish(),
      );
      return whole.subarray(0, 1 + int(whole.length - 1));
    }
    case 2:
      // Beyond limits.maxMessageBytes (256 KiB), within the transport's limit.
      return Buffer.alloc(262_145 + int(200_000), 0x41);
    default:
      return Buffer.from(
        AgentMessage.encode({
          ref: `g${i}`,
          body: { $case: 'alert', value: { jws: `${bytes(30).toString('base64')}.x.y` } },
        }).finish(),
      );
  }
}

/** Opens a TCP connection, writes random bytes and closes it. */
function garbage(address: string): Promise<void> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.split(':').pop()];
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port: Number(port) });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('connect', () => {
      s.end(bytes(1 + int(2048)));
      setTimeout(() => s.destroy(), 200);
    });
  });
}

/** A raw HTTP request with a random method, path and body. */
function badHttp(): Promise<void> {
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'BREW', ''];
  const path = [
    '/',
    '/healthz',
    '/metrics',
    '/audit/checkpoints',
    '/%E0%A4%A',
    `/${bytes(20).toString('latin1')}`,
  ][int(6)];
  const body = bytes(int(4096));
  const head = `${methods[int(methods.length)]} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${random() < 0.2 ? 'abc' : body.length}\r\n\r\n`;
  return new Promise((resolve) => {
    const [host, port] = http.split(':');
    const s = tcpConnect({ host, port: Number(port) });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('data', () => s.destroy());
    s.on('connect', () => {
      s.write(head);
      s.end(body);
      setTimeout(() => s.destroy(), 500);
    });
  });
}

describe('10,000 bad inputs while a well-behaved station sends', () => {
  it('crashes nothing and delivers every good alert', async () => {
    const start = performance.now();
    const good: string[] = [];
    let sending = true;
    const stream = (async () => {
      for (let i = 0; sending; i++) {
        const alert = composeAlert({
          sender: sender.identity,
          to: { stations: [receiver.identity] },
          event: 'Good',
          headline: `good ${i}`,
          now: new Date(),
        });
        good.push(alert.identifier);
        await sender.send(alert);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const tried = {
      'station-link frames': 0,
      'enrollment requests': 0,
      'raw TCP connections': 0,
      'HTTP requests': 0,
    };
    // Station link: 6,000 frames on links of a valid station certificate, 500 per link.
    let answered = 0;
    for (let l = 0; l < 12; l++) {
      const link = new RawLink(broker.grpc, fuzzDir);
      if (l % 2 === 0) await link.hello();
      for (let i = 0; i < 500; i++) {
        link.sendRaw(badFrame(l * 500 + i));
        tried['station-link frames']++;
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      await eventually(() => link.received.length >= 250, 60_000, 'bad frames answered');
      answered += link.received.length;
      link.close();
    }
    // Enrollment: 2,000 requests of random bytes, 50 at a time.
    const Enroll = makeGenericClientConstructor(
      { enroll: { ...EnrollmentServiceService.enroll, requestSerialize: (b: Buffer) => b } },
      'cctns.v1.EnrollmentService',
    );
    const enroll = new Enroll(
      broker.enroll,
      credentials.createSsl(Buffer.from(pki.root.toString())),
      {
        'grpc.ssl_target_name_override': 'broker.cctns',
      },
    ) as unknown as Client & { enroll(b: Buffer, cb: (err: unknown) => void): void };
    const codes = new Map<string, number>();
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const b =
            (batch * 50 + i) % 2 ? bytes(int(1024)) : Buffer.alloc(300_000 + int(100_000), 1);
          return new Promise<void>((resolve) =>
            enroll.enroll(b, (err) => {
              const code = String((err as { code?: number } | null)?.code ?? 'ok');
              codes.set(code, (codes.get(code) ?? 0) + 1);
              resolve();
            }),
          );
        }),
      );
      tried['enrollment requests'] += 50;
    }
    enroll.close();
    // Raw bytes where TLS is expected: 1,000 connections to the link and enrollment ports.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => garbage(i % 2 ? broker.grpc : broker.enroll)),
      );
      tried['raw TCP connections'] += 50;
    }
    // HTTP: 1,000 malformed requests to the health and metrics port.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => badHttp()));
      tried['HTTP requests'] += 50;
    }
    sending = false;
    await stream;

    expect(broker.process!.child.exitCode).toBe(null);
    expect(broker.process!.child.signalCode).toBe(null);
    const health = (await (await fetch(`http://${http}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    await eventually(
      () => good.every((id) => receiver.store.inboxItem(id)),
      60_000,
      'every good alert delivered',
    );
    const held = receiver.store.inbox().filter((i) => good.includes(i.alertId)).length;
    expect(held).toBe(good.length);
    expect(codes.get('ok')).toBeUndefined();
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    expect(total).toBe(10_000);
    printFigures('bad inputs', {
      seed: SEED,
      ...tried,
      'link frames answered before each link was closed': answered,
      'broker crashes': 0,
      'good alerts sent': good.length,
      'good alerts delivered': held,
      'run (s)': secondsSince(start),
    });
  });
});
