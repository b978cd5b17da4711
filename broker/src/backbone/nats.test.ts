import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { AckPolicy, connect, headers } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, provision, tempDir, testLogger } from '../../../tests/support/network.js';
import { startNats, type NatsServer } from '../../../tests/support/nats.js';
import { registerBrokerCommands } from '../cli/broker-commands.js';
import type { BackboneMessage } from './backbone.js';
import { backboneConformance } from './conformance.js';
import { natsServerConfig } from './nats-config.js';
import { KIND_HEADER, MAX_ACK_PENDING, NatsBackbone, type SkippedMessage } from './nats.js';

// The conformance run uses a plain (no TLS) nats-server: it checks JetStream semantics, and TLS
// is covered below on its own.
backboneConformance('NATS JetStream', async () => {
  const server = await startNats();
  return {
    connect: () => NatsBackbone.connect({ servers: server.url, logger: testLogger }),
    cleanup: () => server.stop(),
  };
});

async function until<T>(check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NatsBackbone on nats-server', () => {
  const dir = tempDir('nats-backbone');
  let server: NatsServer;
  let pki: Awaited<ReturnType<typeof makePki>>;
  const mh = join(dir, 'broker-MH');
  const ka = join(dir, 'broker-KA');
  const tlsOf = (d: string) => ({
    ca: join(d, 'root.pem'),
    cert: join(d, 'cert.pem'),
    key: join(d, 'key.pem'),
  });

  /** Runs `cctns broker nats-config --json` with `args`, returning what it printed. */
  const natsConfig = async (args: string[]): Promise<Record<string, unknown>> => {
    mkdirSync(join(dir, 'cli'), { recursive: true });
    const program = new Command('cctns').option('--json').exitOverride();
    registerBrokerCommands(program);
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (printed.push(String(s)), true)) as typeof write;
    try {
      await program.parseAsync(['broker', 'nats-config', '--json', ...args], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    return JSON.parse(printed.join('') || '{}') as Record<string, unknown>;
  };

  beforeAll(async () => {
    pki = await makePki(dir, ['MH', 'KA']);
    await provision(pki.pki, pki.cas.get('MH')!, 'broker/MH', mh);
    await provision(pki.pki, pki.cas.get('KA')!, 'broker/KA', ka);
    // The harness writes the TLS server's configuration with natsServerConfig.
    server = await startNats({ tls: { dir: mh } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('accepts a broker certificate of the PKI (mutual TLS) and refuses clients without one', async () => {
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(ka),
      name: 'broker/KA',
      logger: testLogger,
    });
    try {
      const ack = await b.publish('cctns.v1.KA.tls.x', 'alert', 'tls-1', 'signed');
      expect(ack.duplicate).toBe(false);
      const got: BackboneMessage[] = [];
      const c = await b.consume('tls-KA', 'cctns.v1.KA.tls.>', async (m) => void got.push(m));
      await until(() => got.length === 1);
      await c.stop();
      expect(got[0]).toMatchObject({ seq: ack.seq, kind: 'alert', jws: 'signed' });
    } finally {
      await b.close();
    }

    // No TLS material at all: the client is refused (TLS is required, and so is a certificate).
    await expect(NatsBackbone.connect({ servers: server.url, logger: testLogger })).rejects.toThrow(
      /cannot connect to the NATS backbone/,
    );
    // Trusting the server but presenting no certificate: refused during the handshake.
    await expect(
      connect({ servers: server.url, tls: { caFile: join(ka, 'root.pem') }, reconnect: false }),
    ).rejects.toThrow();
    // A certificate of another PKI: refused too.
    const other = join(dir, 'other');
    const foreign = await makePki(other, ['MH']);
    await provision(foreign.pki, foreign.cas.get('MH')!, 'broker/MH', join(other, 'b'));
    await expect(
      connect({
        servers: server.url,
        tls: {
          caFile: join(ka, 'root.pem'),
          certFile: join(other, 'b', 'cert.pem'),
          keyFile: join(other, 'b', 'key.pem'),
        },
        reconnect: false,
      }),
    ).rejects.toThrow();
  }, 60_000);

  it('keeps consuming across a nats-server crash and restart: all in order, none lost, none twice', async () => {
    const plain = await startNats();
    const pub = await NatsBackbone.connect({ servers: plain.url, logger: testLogger });
    // A short ack_wait so a delivery whose acknowledgement died with the server comes back soon.
    const sub = await NatsBackbone.connect({
      servers: plain.url,
      logger: testLogger,
      consumerOptions: { ackWaitMs: 2_000 },
    });
    try {
      const got: BackboneMessage[] = [];
      // A slow handler, so the crash hits with a delivery in flight.
      const c = await sub.consume('crash-MH', 'cctns.v1.MH.>', async (m) => {
        got.push(m);
        await new Promise((r) => setTimeout(r, 5));
      });
      for (let i = 0; i < 50; i++)
        await pub.publish('cctns.v1.MH.state', 'alert', `crash-${i}`, `m${i}`);
      // Crash while the consumer is still working through the first half.
      await until(() => got.length >= 20);
      await plain.kill();
      const atCrash = got.length;
      // The status follows the client's events, which arrive a moment after the crash.
      await until(() => pub.status() === 'reconnecting');
      await plain.restart();
      for (let i = 50; i < 100; i++)
        await pub.publish('cctns.v1.MH.state', 'alert', `crash-${i}`, `m${i}`);
      await until(() => got.length >= 100, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      await c.stop();
      expect(atCrash).toBeLessThan(50);
      expect(got.map((m) => m.jws)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
      const seqs = got.map((m) => m.seq);
      expect(new Set(seqs).size).toBe(100);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(sub.status()).toBe('connected');
    } finally {
      await pub.close();
      await sub.close();
      await plain.stop();
    }
  }, 120_000);

  it('skips and counts a message without a valid kind header, and keeps going', async () => {
    const skipped: SkippedMessage[] = [];
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(mh),
      logger: testLogger,
      onSkipped: (m) => void skipped.push(m),
    });
    const raw = await connect({
      servers: server.url,
      tls: {
        caFile: join(mh, 'root.pem'),
        certFile: join(mh, 'cert.pem'),
        keyFile: join(mh, 'key.pem'),
      },
    });
    try {
      const js = raw.jetstream();
      await js.publish('cctns.v1.MH.skip.a', new TextEncoder().encode('no header'));
      const h = headers();
      h.set(KIND_HEADER, 'gossip');
      await js.publish('cctns.v1.MH.skip.b', new TextEncoder().encode('bad kind'), { headers: h });
      await b.publish('cctns.v1.MH.skip.c', 'receipt', 'skip-c', 'good');
      const got: BackboneMessage[] = [];
      const c = await b.consume('skip-MH', 'cctns.v1.MH.skip.>', async (m) => void got.push(m));
      await until(() => got.length === 1);
      await c.stop();
      expect(got.map((m) => [m.kind, m.jws])).toEqual([['receipt', 'good']]);
      expect(b.skipped).toBe(2);
      expect(skipped.map((s) => s.subject)).toEqual(['cctns.v1.MH.skip.a', 'cctns.v1.MH.skip.b']);
    } finally {
      await raw.close();
      await b.close();
    }
  });

  it('writes a working server configuration with `cctns broker nats-config`', async () => {
    const out = join(dir, 'cli', 'nats.conf');
    const printed = await natsConfig([
      '--out',
      out,
      '--listen',
      '127.0.0.1:14222',
      '--store-dir',
      join(dir, 'cli', 'js'),
      '--ca',
      join(mh, 'root.pem'),
      '--cert',
      join(mh, 'cert.pem'),
      '--key',
      join(mh, 'key.pem'),
    ]);
    expect(printed).toMatchObject({ file: out, listen: '127.0.0.1:14222' });
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('verify: true');
    expect(text).toContain(`store_dir: ${JSON.stringify(join(dir, 'cli', 'js'))}`);
    expect(text).toBe(
      natsServerConfig({
        listen: '127.0.0.1:14222',
        storeDir: join(dir, 'cli', 'js'),
        tls: tlsOf(mh),
      }),
    );
    // The same generator drives the TLS harness server, which is running with it right now.
    expect(readFileSync(server.configFile, 'utf8')).toContain('verify: true');
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(ka),
      logger: testLogger,
    });
    expect(b.status()).toBe('connected');
    await b.close();
  });

  it('writes the configuration of a cluster member (routes with mutual TLS) and refuses an incomplete one', async () => {
    const out = join(dir, 'cli', 'member.conf');
    const run = (extra: string[]) =>
      natsConfig([
        '--out',
        out,
        '--store-dir',
        join(dir, 'cli', 'member-js'),
        '--ca',
        join(mh, 'root.pem'),
        '--cert',
        join(mh, 'cert.pem'),
        '--key',
        join(mh, 'key.pem'),
        ...extra,
      ]);
    const printed = await run([
      '--server-name',
      'mh-nats-1',
      '--cluster-name',
      'cctns-mh',
      '--cluster-listen',
      '10.0.0.1:6222',
      '--routes',
      '10.0.0.1:6222, 10.0.0.2:6222,10.0.0.3:6222',
    ]);
    expect(printed).toMatchObject({
      cluster: { name: 'cctns-mh', routes: ['10.0.0.1:6222', '10.0.0.2:6222', '10.0.0.3:6222'] },
    });
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('server_name: "mh-nats-1"');
    expect(text).toMatch(
      /cluster \{[^}]*name: "cctns-mh"[^}]*"tls:\/\/10\.0\.0\.3:6222"[^}]*tls \{[^}]*verify: true/s,
    );
    await expect(run(['--cluster-name', 'cctns-mh'])).rejects.toThrow(
      /--cluster-name and --routes/,
    );
    await expect(run(['--cluster-name', 'cctns-mh', '--routes', '10.0.0.2:6222'])).rejects.toThrow(
      /unique server name/,
    );
    expect(() =>
      natsServerConfig({
        listen: '0.0.0.0:4222',
        storeDir: '/var/lib/nats',
        tls: tlsOf(mh),
        serverName: 'a',
        cluster: { name: 'c', listen: '0.0.0.0:6222', routes: ['nowhere'] },
      }),
    ).toThrow(/not host:port/);
  });

  it('reuses an existing stream and durable, updating their limits, and refuses a durable with another filter', async () => {
    const plain = await startNats();
    try {
      const first = await NatsBackbone.connect({ servers: plain.url, logger: testLogger });
      const c1 = await first.consume('reuse-DL', 'cctns.v1.DL.>', async () => undefined);
      await c1.stop();
      await first.close();
      const second = await NatsBackbone.connect({
        servers: plain.url,
        logger: testLogger,
        streamOptions: { maxAgeDays: 7, duplicateWindowMs: 60_000 },
        consumerOptions: { ackWaitMs: 20_000 },
      });
      const c2 = await second.consume('reuse-DL', 'cctns.v1.DL.>', async () => undefined);
      await c2.stop();
      await expect(
        second.consume('reuse-DL', 'cctns.v1.KA.>', async () => undefined),
      ).rejects.toThrow(/exists with filter "cctns.v1.DL.>", not "cctns.v1.KA.>"/);
      await second.close();

      const raw = await connect({ servers: plain.url });
      const jsm = await raw.jetstreamManager();
      const stream = await jsm.streams.info('CCTNS');
      expect(stream.config.max_age).toBe(7 * 24 * 3600 * 1e9);
      expect(stream.config.duplicate_window).toBe(60 * 1e9);
      expect(stream.config.subjects).toEqual(['cctns.v1.>']);
      const consumer = await jsm.consumers.info('CCTNS', 'reuse-DL');
      expect(consumer.config.ack_wait).toBe(20 * 1e9);
      expect(consumer.config.max_ack_pending).toBe(MAX_ACK_PENDING);
      await raw.close();
    } finally {
      await plain.stop();
    }
  });

  it('after a predecessor died holding deliveries, waits for them and goes on in stream order: none lost, none twice', async () => {
    const plain = await startNats();
    const pub = await NatsBackbone.connect({ servers: plain.url, logger: testLogger });
    const raw = await connect({ servers: plain.url });
    try {
      const publish = async (from: number, to: number) => {
        for (let i = from; i < to; i++)
          await pub.publish('cctns.v1.PB.state', 'alert', `lost-${i}`, `m${i}`);
      };
      // The durable as an earlier version made it (one message in flight): it is updated.
      const jsm = await raw.jetstreamManager();
      await jsm.consumers.add('CCTNS', {
        durable_name: 'lost-PB',
        filter_subject: 'cctns.v1.PB.>',
        ack_policy: AckPolicy.Explicit,
        max_ack_pending: 1,
        ack_wait: 30 * 1e9,
      });
      await publish(0, 10);
      const first = await NatsBackbone.connect({
        servers: plain.url,
        logger: testLogger,
        consumerOptions: { ackWaitMs: 1_000 },
      });
      const before: string[] = [];
      const c1 = await first.consume(
        'lost-PB',
        'cctns.v1.PB.>',
        async (m) => void before.push(m.jws),
      );
      await until(() => before.length === 10);
      await c1.stop();
      await first.close();
      expect(before).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      // A process that pulls five messages and dies without acknowledging them: the server
      // counts them as delivered and hands them out again only after ack_wait.
      await publish(10, 30);
      const dying = await connect({ servers: plain.url });
      const held = await (
        await dying.jetstream().consumers.get('CCTNS', 'lost-PB')
      ).fetch({
        max_messages: 5,
        expires: 2_000,
      });
      const lost: number[] = [];
      for await (const m of held) lost.push(m.seq);
      await dying.close();
      expect(lost).toHaveLength(5);
      await publish(30, 40);
      const second = await NatsBackbone.connect({
        servers: plain.url,
        logger: testLogger,
        consumerOptions: { ackWaitMs: 1_000 },
      });
      const after: BackboneMessage[] = [];
      const c2 = await second.consume('lost-PB', 'cctns.v1.PB.>', async (m) => void after.push(m));
      await until(() => after.length >= 30, 30_000);
      await new Promise((r) => setTimeout(r, 1_500));
      await c2.stop();
      await second.close();
      expect(after.map((m) => m.jws)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 10}`));
      expect((await jsm.consumers.info('CCTNS', 'lost-PB')).config.max_ack_pending).toBe(
        MAX_ACK_PENDING,
      );
    } finally {
      await raw.close();
      await pub.close();
      await plain.stop();
    }
  }, 60_000);

  it('retries a failing message in place while the deliveries behind it wait: all in order, the failed one once', async () => {
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(mh),
      logger: testLogger,
      consumerOptions: { retryDelayMs: 100 },
    });
    try {
      const N = 300;
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          b.publish('cctns.v1.MH.retry.x', 'alert', `retry-${i}`, `r${i}`),
        ),
      );
      const got: string[] = [];
      let failures = 0;
      const c = await b.consume('retry-MH', 'cctns.v1.MH.retry.>', async (m) => {
        if (m.jws === 'r50' && failures < 3) {
          failures++;
          throw new Error('store busy');
        }
        got.push(m.jws);
      });
      await until(() => got.length >= N, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      await c.stop();
      expect(failures).toBe(3);
      expect(got).toEqual(Array.from({ length: N }, (_, i) => `r${i}`));
    } finally {
      await b.close();
    }
  }, 60_000);

  it('keeps a handler that runs longer than ack_wait from being delivered twice', async () => {
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(mh),
      logger: testLogger,
      consumerOptions: { ackWaitMs: 1_000 },
    });
    try {
      await b.publish('cctns.v1.MH.slow.x', 'alert', 'slow-1', 'slow');
      await b.publish('cctns.v1.MH.slow.x', 'alert', 'slow-2', 'after');
      const calls: string[] = [];
      const c = await b.consume('slow-MH', 'cctns.v1.MH.slow.>', async (m) => {
        calls.push(m.jws);
        if (m.jws === 'slow') await new Promise((r) => setTimeout(r, 3_000));
      });
      await until(() => calls.length >= 2);
      await new Promise((r) => setTimeout(r, 1_500));
      await c.stop();
      expect(calls).toEqual(['slow', 'after']);
    } finally {
      await b.close();
    }
  });

  it('refuses bad nats-config input with clear errors', () => {
    const base = { listen: '0.0.0.0:4222', storeDir: '/var/lib/nats', tls: tlsOf(mh) };
    expect(() => natsServerConfig({ ...base, listen: '4222' })).toThrow(/not host:port/);
    expect(() => natsServerConfig({ ...base, maxFile: 'lots' })).toThrow(/not a nats-server size/);
    expect(() => natsServerConfig({ ...base, serverName: 'a b' })).toThrow(/server name/);
  });

  it('delivers 2000 messages published at once, all of them, in stream order', async () => {
    const b = await NatsBackbone.connect({
      servers: server.url,
      tls: tlsOf(mh),
      logger: testLogger,
    });
    try {
      const N = 2000;
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          b.publish('cctns.v1.GJ.rate', 'alert', `rate-${i}`, `payload-${i}`.padEnd(2000, 'x')),
        ),
      );
      let seen = 0;
      let last = 0;
      let ordered = true;
      const c = await b.consume('rate-GJ', 'cctns.v1.GJ.rate', async (m) => {
        if (m.seq <= last) ordered = false;
        last = m.seq;
        seen++;
      });
      await until(() => seen === N, 60_000);
      await c.stop();
      // Order and completeness only: speed is measured by `npm run bench`, not asserted here.
      expect(ordered).toBe(true);
      expect(seen).toBe(N);
    } finally {
      await b.close();
    }
  }, 90_000);
});
