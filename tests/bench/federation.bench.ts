import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import {
  createCsr,
  generateRsaKeyPair,
  JwsSigner,
  loadPrivateKey,
  privateKeyToPem,
  signAlert,
  signApproval,
} from '@cctns/pki';
import { composeAlert } from '@cctns/station-agent';
import { connect as natsConnect, type NatsConnection } from 'nats';
import { startNats, type NatsServer } from '../support/nats.js';
import { makePki, provision, tempDir, TEST_PASSPHRASE } from '../support/network.js';
import { startCctns, type CctnsProcess } from '../support/processes.js';
import { RawLink } from '../support/raw-link.js';
import { BenchLink } from './national-link.js';
import {
  line,
  note as noteFor,
  nowMs,
  percentile,
  progress,
  sleep,
  withTimeout,
} from './report.js';
import {
  initBroker,
  reportLog,
  reportNatsLog,
  rssOf,
  runCleanups,
  stopNats,
  stopProcess,
  type Cleanup,
} from './processes.js';

/**
 * Federation over a real NATS JetStream backbone: a nats-server with mutual TLS and three brokers
 * (broker/national, broker/MH, broker/KA) as separate `cctns broker start` processes, joined to it
 * through their configuration. Measured:
 *
 * - inter-state latency: a pre-signed alert from a station link on broker/MH to a station link on
 *   broker/KA (MH verifies, checks scope and publishes to JetStream; KA's durable consumer
 *   verifies again, stores and delivers down the gRPC link), one alert at a time;
 * - national broadcast: a pre-signed `to: national` alert from hq/national/duty1 on the national
 *   broker until the first and the last of N mutual-TLS gRPC station links (half on MH, half on
 *   KA) has it.
 *
 * Against raw NATS in the same run: a plain nats-server (no TLS, no JetStream use), N core-NATS
 * subscriber connections and one publisher sending a message the size of the signed alert, with
 * no signature, persistence, storage or gRPC; and a one-to-one core-NATS latency with the same
 * message. Station links and subscribers live in this process; the brokers and the servers run
 * in their own processes.
 */
export async function benchFederation(opts: {
  stations: number;
  broadcasts: number;
  latency: number;
}): Promise<void> {
  const dir = tempDir('bench-federation');
  const cleanups: Cleanup[] = [];
  const onCleanup = (what: string, run: () => unknown) => cleanups.push({ what, run });
  const brokers = new Map<string, CctnsProcess>();
  const natsServers: NatsServer[] = [];
  const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE };
  onCleanup('temporary directory', () => rmSync(dir, { recursive: true, force: true }));

  try {
    // --- PKI: root and CAs (2048-bit), the station certificates from a pool of keys
    const setup0 = nowMs();
    const { pki, cas } = await makePki(dir, ['MH', 'KA', 'CENTRAL']);
    onCleanup('PKI', () => pki.close());
    // Making 2000 RSA keys would take minutes; each station gets its own certificate (the CSR
    // and the certificate bind its identity), but the keys come from a pool of KEY_POOL, reused
    // across certificates. Neither the CA nor the TLS handshake cares which key a certificate
    // carries, so this changes nothing the benchmark measures.
    // Generated concurrently: the work runs on libuv's thread pool, so both cores take part.
    const keys = await Promise.all(
      Array.from({ length: KEY_POOL }, async () => {
        const pair = await generateRsaKeyPair(2048);
        return { pair, pem: Buffer.from(privateKeyToPem(pair.privateKey)) };
      }),
    );
    const rootPem = Buffer.from(pki.root.toString());
    const stations: Array<{ identity: string; state: 'MH' | 'KA'; creds: ChannelCredentials }> = [];
    note(`issuing ${opts.stations} station certificates`);
    for (let i = 0; i < opts.stations; i++) {
      const state = i % 2 === 0 ? 'MH' : 'KA';
      const n = Math.floor(i / 2);
      const identity = `station/${state}/D${String(n % 20).padStart(2, '0')}/PS${String(n).padStart(4, '0')}`;
      const ca = cas.get(state)!;
      const key = keys[i % keys.length]!;
      const { token } = await ca.createToken(identity);
      const issued = await ca.issue({
        csrPem: createCsr(identity, pki.trustDomain, key.pair),
        token,
      });
      stations.push({
        identity,
        state,
        creds: credentials.createSsl(rootPem, key.pem, Buffer.from(issued.chainPem), {
          checkServerIdentity: () => undefined,
        }),
      });
      progress(B, i + 1, opts.stations);
    }
    // The two stations of the latency test and the national HQ operator, as holder folders.
    const holder = (id: string) => join(dir, id.replace(/\//g, '_'));
    const senderId = 'station/MH/PUNE/PS001';
    const receiverId = 'station/KA/BENGALURU/PS001';
    const hqId = 'hq/national/duty1';
    await provision(pki, cas.get('MH')!, senderId, holder(senderId));
    await provision(pki, cas.get('KA')!, receiverId, holder(receiverId));
    await provision(pki, cas.get('CENTRAL')!, hqId, holder(hqId));
    // The second duty officer who approves HQ's national broadcasts.
    const approverId = 'hq/national/duty2';
    await provision(pki, cas.get('CENTRAL')!, approverId, holder(approverId));
    const pkiSeconds = (nowMs() - setup0) / 1000;

    // --- the backbone and the three brokers, each in its own process
    const setup1 = nowMs();
    const natsTls = join(dir, 'nats-server-tls');
    await provision(pki, cas.get('CENTRAL')!, 'broker/national', natsTls);
    const nats = await startNats({ tls: { dir: natsTls } });
    natsServers.push(nats);
    onCleanup('TLS nats-server', () => stopNats(nats));
    const configs = new Map<string, string>();
    for (const home of ['national', 'MH', 'KA'])
      configs.set(home, await initBroker(dir, pki.dir, home, nats.url, env));
    const addresses = new Map<string, string>();
    onCleanup('broker processes', () =>
      Promise.all([...brokers.values()].map((p) => stopProcess(p))),
    );
    await Promise.all(
      [...configs].map(async ([home, config]) => {
        const p = startCctns(
          ['--json', 'broker', 'start', '--config', config, '--log-level', 'warn'],
          { env },
        );
        brokers.set(home, p);
        p.ready.catch(() => undefined);
        const ready = await withTimeout(p.ready, 60_000, `broker/${home} ready`);
        addresses.set(home, String(ready['grpc']));
      }),
    );
    const brokerSeconds = (nowMs() - setup1) / 1000;
    line(
      B,
      'setup: PKI, key pool, certificates',
      pkiSeconds,
      's',
      `${opts.stations} station certificates from ${KEY_POOL} keys`,
    );
    line(B, 'setup: nats-server (mTLS, JetStream) + 3 broker processes', brokerSeconds, 's');

    // --- pre-signed alerts
    const signerOf = (id: string) =>
      new JwsSigner(
        loadPrivateKey(readFileSync(join(holder(id), 'key.pem'), 'utf8'), undefined, 'key')
          .privateKey,
        readFileSync(join(holder(id), 'cert.pem'), 'utf8'),
      );
    const compose = (sender: string, to: Parameters<typeof composeAlert>[0]['to'], h: string) =>
      composeAlert({
        sender,
        to,
        event: 'Benchmark',
        headline: h,
        description: 'x'.repeat(400),
        now: new Date(),
      });
    const senderSigner = signerOf(senderId);
    const interState: string[] = [];
    for (let i = 0; i < opts.latency; i++)
      interState.push(
        (
          await signAlert(
            senderSigner,
            compose(senderId, { stations: [receiverId] }, `inter-state ${i}`),
          )
        ).jws,
      );
    const hqSigner = signerOf(hqId);
    const approverSigner = signerOf(approverId);
    const national: string[] = [];
    for (let i = 0; i < opts.broadcasts; i++) {
      const alert = compose(hqId, { national: true }, `NATIONAL: suspect at large ${i}`);
      alert.approval = await signApproval(approverSigner, {
        alert,
        approver: approverId,
        at: new Date(),
      });
      national.push((await signAlert(hqSigner, alert)).jws);
    }
    const alertSize = Buffer.byteLength(national[0] ?? '');
    line(B, 'signed national alert size', alertSize, 'bytes');

    // --- inter-state latency: MH station -> KA station
    note(`inter-state latency, ${opts.latency} alerts`);
    const sender = new RawLink(addresses.get('MH')!, holder(senderId));
    const receiver = new RawLink(addresses.get('KA')!, holder(receiverId));
    onCleanup('latency links', () => {
      sender.close();
      receiver.close();
    });
    await sender.hello(SENDER_CURSOR);
    await receiver.hello(0);
    // Each alert's answer is awaited too before the next one goes, so the timing of one alert is
    // not disturbed by the previous one still being processed by broker/MH.
    const lat: number[] = [];
    for (const [i, jws] of interState.entries()) {
      const ref = `l${i}`;
      const t0 = nowMs();
      sender.send({ ref, body: { $case: 'alert', value: { jws } } });
      await receiver.next(
        (m) =>
          m.body?.$case === 'delivery' &&
          m.body.value.item?.$case === 'alert' &&
          m.body.value.item.value.jws === jws,
        30_000,
      );
      const elapsed = nowMs() - t0;
      const answer = await sender.answer(ref);
      if (!answer.accepted)
        throw new Error(`inter-state alert ${i} refused: ${answer.reason} ${answer.message}`);
      if (i >= 10) lat.push(elapsed);
    }
    sender.close();
    receiver.close();
    const [latP50, latP99] = [percentile(lat, 50), percentile(lat, 99)];
    line(
      B,
      'inter-state latency MH station -> KA station p50',
      latP50,
      'ms',
      `${lat.length} alerts, one at a time, pre-signed; MH verifies + publishes, KA consumes, verifies, stores, delivers`,
    );
    line(B, 'inter-state latency MH station -> KA station p99', latP99, 'ms');

    // --- N station links, half on MH, half on KA, from the current log head
    note(`opening ${opts.stations} station links`);
    const linksStart = nowMs();
    const byJws = new Map(national.map((jws, i) => [jws, i]));
    const reached = national.map(() => 0);
    const firstAt: number[] = [];
    const lastAt: number[] = [];
    let target = 0;
    let stray = 0;
    let duplicates = 0;
    let onAll: (() => void) | undefined;
    const links: BenchLink[] = [];
    onCleanup('station links', () => {
      for (const l of links) l.close();
    });
    const heads = new Map<string, number>();
    for (const state of ['MH', 'KA']) {
      // A probe with a cursor past the end receives nothing; its welcome tells the log head.
      const first = stations.find((s) => s.state === state)!;
      const probe = new BenchLink(addresses.get(state)!, first.creds, {
        delivery: () => undefined,
      });
      try {
        heads.set(
          state,
          (await withTimeout(probe.hello(SENDER_CURSOR), 30_000, 'welcome')).logHead,
        );
      } finally {
        probe.close();
      }
    }
    let failed = 0;
    let firstFailure = '';
    for (let i = 0; i < stations.length; i += LINK_BATCH) {
      const batch = stations.slice(i, i + LINK_BATCH);
      await Promise.all(
        batch.map(async (s) => {
          const got = new Set<number>();
          const link = new BenchLink(addresses.get(s.state)!, s.creds, {
            delivery: (_seq, jws) => {
              const b = byJws.get(jws);
              if (b === undefined) return void stray++;
              if (got.has(b)) return void duplicates++;
              got.add(b);
              const n = ++reached[b]!;
              if (n === 1) firstAt[b] = nowMs();
              if (n === target) {
                lastAt[b] = nowMs();
                onAll?.();
              }
            },
          });
          try {
            await withTimeout(link.hello(heads.get(s.state)!), 60_000, 'welcome');
            links.push(link);
          } catch (err) {
            failed++;
            firstFailure ||= `${s.identity}: ${(err as Error).message}`;
            link.close();
          }
        }),
      );
      progress(B, Math.min(i + LINK_BATCH, stations.length), stations.length);
    }
    const linksSeconds = (nowMs() - linksStart) / 1000;
    target = links.length;
    line(
      B,
      'setup: station links open',
      linksSeconds,
      's',
      `${(links.length / linksSeconds).toFixed(0)} links/s, batches of ${LINK_BATCH}`,
    );
    line(
      B,
      'station links open',
      links.length,
      'links',
      `of ${stations.length}; ${failed} failed${firstFailure ? `, first: ${firstFailure}` : ''}`,
    );
    line(B, 'bench process RSS with the links open', process.memoryUsage().rss / 2 ** 20, 'MiB');
    for (const home of ['MH', 'KA']) {
      const rss = rssOf(brokers.get(home)!.child.pid);
      if (rss !== undefined)
        line(
          B,
          `broker/${home} process RSS with its links open`,
          rss / 2 ** 20,
          'MiB',
          `${stations.filter((s) => s.state === home).length} stations`,
        );
    }
    if (links.length === 0) throw new Error('no station link opened');

    // --- national broadcasts from national HQ
    note(`${opts.broadcasts} national broadcasts to ${target} links`);
    const hq = new RawLink(addresses.get('national')!, holder(hqId));
    onCleanup('HQ link', () => hq.close());
    await hq.hello(SENDER_CURSOR);
    const lastMs: number[] = [];
    const firstMs: number[] = [];
    const acceptedMs: number[] = [];
    for (const [b, jws] of national.entries()) {
      const ref = `n${b}`;
      const all = new Promise<void>((r) => (onAll = r));
      const t0 = nowMs();
      hq.send({ ref, body: { $case: 'alert', value: { jws } } });
      const answered = hq.answer(ref).then(
        (a) => ({ a, at: nowMs() }),
        (err: Error) => ({ err }),
      );
      try {
        await withTimeout(all, BROADCAST_TIMEOUT_MS, 'broadcast');
      } catch {
        throw new Error(
          `national broadcast ${b}: ${reached[b]} of ${target} links had it after ${BROADCAST_TIMEOUT_MS / 1000} s`,
        );
      }
      const ans = await answered;
      if ('err' in ans) throw new Error(`national broadcast ${b}: no answer: ${ans.err.message}`);
      if (!ans.a.accepted)
        throw new Error(`national broadcast ${b} refused: ${ans.a.reason} ${ans.a.message}`);
      lastMs.push(lastAt[b]! - t0);
      firstMs.push(firstAt[b]! - t0);
      acceptedMs.push(ans.at - t0);
      process.stderr.write(
        `[${B}] broadcast ${b}: first ${(firstAt[b]! - t0).toFixed(1)} ms, last ${(lastAt[b]! - t0).toFixed(1)} ms, HQ answer ${(ans.at - t0).toFixed(1)} ms\n`,
      );
      await sleep(500);
    }
    onAll = undefined;
    const alive = links.filter((l) => l.alive).length;
    hq.close();
    for (const l of links) l.close();
    links.length = 0;
    const [bcP50, bcMax] = [percentile(lastMs, 50), Math.max(...lastMs)];
    line(
      B,
      'national broadcast to the last station p50',
      bcP50,
      'ms',
      `${lastMs.length} broadcasts to ${target} links on 2 state brokers, pre-signed`,
    );
    line(B, 'national broadcast to the last station max', bcMax, 'ms');
    line(B, 'national broadcast to the first station p50', percentile(firstMs, 50), 'ms');
    line(
      B,
      'national broadcast accepted (answer to HQ) p50',
      percentile(acceptedMs, 50),
      'ms',
      'published on 36 state subjects + origin, applied by the national broker',
    );
    if (stray || duplicates || alive !== target)
      line(
        B,
        'anomalies',
        stray + duplicates + (target - alive),
        'events',
        `${stray} unexpected deliveries, ${duplicates} duplicates, ${target - alive} links lost`,
      );

    // --- raw NATS baseline: same fan-out and one-to-one latency, plain core NATS
    note(`raw NATS fan-out to ${opts.stations} subscriber connections`);
    const raw = await rawNats(
      opts.stations,
      opts.broadcasts,
      opts.latency,
      alertSize,
      natsServers,
      onCleanup,
    );
    line(
      B,
      'setup: raw NATS subscriber connections',
      raw.setupSeconds,
      's',
      `${raw.open} connections, batches of ${LINK_BATCH}`,
    );
    const [rawP50, rawMax] = [percentile(raw.last, 50), Math.max(...raw.last)];
    line(
      B,
      'raw NATS fan-out to the last subscriber p50',
      rawP50,
      'ms',
      `${raw.last.length} messages of ${alertSize} bytes to ${raw.open} connections`,
    );
    line(B, 'raw NATS fan-out to the last subscriber max', rawMax, 'ms');
    line(B, 'raw NATS fan-out to the first subscriber p50', percentile(raw.first, 50), 'ms');
    line(B, 'raw NATS 1:1 latency p50', percentile(raw.latency, 50), 'ms');
    line(B, 'raw NATS 1:1 latency p99', percentile(raw.latency, 99), 'ms');
    line(B, 'ratio broadcast p50 (cctns / raw NATS)', bcP50 / rawP50, 'x');
    line(B, 'ratio broadcast max (cctns / raw NATS)', bcMax / rawMax, 'x');
    line(
      B,
      'ratio inter-state latency p50 (cctns / raw NATS 1:1)',
      latP50 / percentile(raw.latency, 50),
      'x',
    );
    line(
      B,
      'ratio inter-state latency p99 (cctns / raw NATS 1:1)',
      latP99 / percentile(raw.latency, 99),
      'x',
    );
  } finally {
    // What the brokers and the backbone complained about, before everything is torn down.
    let complaints = 0;
    for (const [home, p] of brokers) complaints += reportLog(B, `broker/${home}`, p.output());
    for (const [i, n] of natsServers.entries())
      complaints += reportNatsLog(
        B,
        i === 0 ? 'nats-server (mTLS)' : 'nats-server (raw)',
        n.output(),
        i === 0,
      );
    if (brokers.size > 0)
      line(B, 'warnings and errors in broker and nats-server logs', complaints, 'lines');
    await runCleanups(B, cleanups);
  }
}

const B = 'federation';
/** Senders announce a cursor past the end so the broker delivers them nothing. */
const SENDER_CURSOR = Number.MAX_SAFE_INTEGER - 1;
/** RSA keys shared by the station certificates (see the comment where they are made). */
const KEY_POOL = 32;
/** Station links (and NATS connections) opened at once. */
const LINK_BATCH = 100;
const BROADCAST_TIMEOUT_MS = 120_000;

/** The raw NATS figures: fan-out to `n` subscriber connections and one-to-one latency. */
async function rawNats(
  n: number,
  rounds: number,
  latencyCount: number,
  size: number,
  servers: NatsServer[],
  onCleanup: (what: string, run: () => unknown) => void,
): Promise<{
  setupSeconds: number;
  open: number;
  first: number[];
  last: number[];
  latency: number[];
}> {
  const server = await startNats();
  servers.push(server);
  onCleanup('raw nats-server', () => stopNats(server));
  const conns: NatsConnection[] = [];
  const closeAll = () => Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
  onCleanup('raw NATS connections', closeAll);
  const payload = new Uint8Array(size).fill(0x78);
  const subject = 'bench.fanout';
  let got = 0;
  let target = 0;
  let firstT = 0;
  let lastT = 0;
  let onAll: (() => void) | undefined;
  const t0 = nowMs();
  for (let i = 0; i < n; i += LINK_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(LINK_BATCH, n - i) }, async () => {
        const nc = await natsConnect({ servers: server.url });
        nc.subscribe(subject, {
          callback: (err) => {
            if (err) return;
            if (++got === 1) firstT = nowMs();
            if (got === target) {
              lastT = nowMs();
              onAll?.();
            }
          },
        });
        await nc.flush(); // the subscription is registered at the server
        return nc;
      }),
    );
    conns.push(...batch);
    progress(B, Math.min(i + LINK_BATCH, n), n);
  }
  const setupSeconds = (nowMs() - t0) / 1000;
  target = conns.length;
  const pub = await natsConnect({ servers: server.url });
  conns.push(pub);
  const first: number[] = [];
  const last: number[] = [];
  for (let r = 0; r < rounds; r++) {
    got = 0;
    const all = new Promise<void>((res) => (onAll = res));
    const start = nowMs();
    pub.publish(subject, payload);
    await withTimeout(all, BROADCAST_TIMEOUT_MS, 'raw NATS fan-out');
    first.push(firstT - start);
    last.push(lastT - start);
    await sleep(500);
  }
  onAll = undefined;
  const open = target;
  await closeAll();

  // One-to-one latency with the same message, one at a time.
  const a = await natsConnect({ servers: server.url });
  const bConn = await natsConnect({ servers: server.url });
  conns.push(a, bConn);
  let arrived: (() => void) | undefined;
  bConn.subscribe('bench.one', { callback: () => arrived?.() });
  await bConn.flush();
  const latency: number[] = [];
  for (let i = 0; i < latencyCount; i++) {
    const p = new Promise<void>((res) => (arrived = res));
    const start = nowMs();
    a.publish('bench.one', payload);
    await withTimeout(p, 30_000, 'raw NATS 1:1');
    if (i >= 10) latency.push(nowMs() - start);
  }
  await closeAll();
  return { setupSeconds, open, first, last, latency };
}

function note(what: string): void {
  noteFor(B, what);
}
