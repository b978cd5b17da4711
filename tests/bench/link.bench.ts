import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { JwsSigner, loadPrivateKey, signAlert } from '@cctns/pki';
import { StationLinkServiceService, type AgentMessage, type BrokerMessage } from '@cctns/proto';
import { Agent, composeAlert } from '@cctns/station-agent';
import { RawLink } from '../support/raw-link.js';
import {
  enrollStation,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  testLogger,
} from '../support/network.js';
import { line, nowMs, percentile } from './report.js';

/**
 * One state broker on this machine: end-to-end latency station -> broker -> station (real agents:
 * sign, verify, store at both ends) and sustained throughput through the broker (pre-signed
 * alerts from several station links; the broker verifies, stores and delivers each), against a
 * raw gRPC relay over the same mutual TLS with no signing or storage, in the same run.
 */
export async function benchLink(opts: {
  latency: number;
  throughput: number;
  senders: number;
  window: number;
}): Promise<void> {
  const dir = tempDir('bench-link');
  const { pki, cas } = await makePki(dir, ['MH']);
  const mh = cas.get('MH')!;
  const broker = await startBroker(dir, pki, 'MH', {
    httpListen: null,
    limits: { ratePerSecond: 1e6, burst: 1e6 },
  });
  const holder = (id: string) => join(dir, id.replace(/\//g, '_'));
  const senders = Array.from(
    { length: opts.senders },
    (_, i) => `station/MH/PUNE/PS${String(i + 10).padStart(3, '0')}`,
  );
  const receiverId = 'station/MH/NAGPUR/PS099';
  for (const id of [...senders, receiverId]) await provision(pki, mh, id, holder(id));
  const sample = composeAlert({
    sender: senders[0]!,
    to: { stations: [receiverId] },
    event: 'Benchmark',
    headline: 'Wanted: armed robbery suspect, black Pulsar MH12AB1234',
    description: 'x'.repeat(400),
    now: new Date(),
  });
  const sampleSize = (
    await signAlert(
      new JwsSigner(
        loadPrivateKey(readFileSync(join(holder(senders[0]!), 'key.pem'), 'utf8'), undefined, 'k')
          .privateKey,
        readFileSync(join(holder(senders[0]!), 'cert.pem'), 'utf8'),
      ),
      sample,
    )
  ).jws.length;
  line('link', 'signed alert size', sampleSize, 'bytes');

  try {
    // --- end-to-end latency with real agents
    const a = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
    const b = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
    const arrived = new Map<string, number>();
    runFast(a);
    runFast(b, { alert: (id) => arrived.set(id, nowMs()) });
    await waitFor(() => broker.connectedStations().length === 2);
    const lat: number[] = [];
    for (let i = 0; i < opts.latency; i++) {
      const alert = composeAlert({
        sender: a.identity,
        to: { stations: [b.identity] },
        event: 'Benchmark',
        headline: `latency ${i}`,
        description: 'x'.repeat(400),
        now: new Date(),
      });
      const t0 = nowMs();
      await a.send(alert);
      await waitFor(() => arrived.has(alert.identifier));
      if (i >= 10) lat.push(arrived.get(alert.identifier)! - t0);
    }
    await a.close();
    await b.close();
    const [p50, p99] = [percentile(lat, 50), percentile(lat, 99)];
    line(
      'link',
      'e2e latency station->broker->station p50',
      p50,
      'ms',
      `${lat.length} alerts, agents sign, verify, store, receipt`,
    );
    line('link', 'e2e latency station->broker->station p99', p99, 'ms');

    // --- throughput through the broker, pre-signed
    const perSender = Math.ceil(opts.throughput / senders.length);
    const presigned = new Map<string, string[]>();
    for (const id of senders) {
      const signer = new JwsSigner(
        loadPrivateKey(readFileSync(join(holder(id), 'key.pem'), 'utf8'), undefined, 'k')
          .privateKey,
        readFileSync(join(holder(id), 'cert.pem'), 'utf8'),
      );
      const list: string[] = [];
      for (let i = 0; i < perSender; i++) {
        list.push(
          (
            await signAlert(
              signer,
              composeAlert({
                sender: id,
                to: { stations: [receiverId] },
                event: 'Benchmark',
                headline: `throughput ${i}`,
                description: 'x'.repeat(400),
                now: new Date(),
              }),
            )
          ).jws,
        );
      }
      presigned.set(id, list);
    }
    const brokered = await blast(
      broker.addresses.grpc,
      holder,
      senders,
      receiverId,
      presigned,
      opts.window,
      await broker.store.head(),
    );
    line(
      'link',
      'broker throughput (verify + store + deliver)',
      brokered.rate,
      'alerts/s',
      `${brokered.count} alerts from ${senders.length} links, window ${opts.window}`,
    );

    // --- raw gRPC relay baseline: same TLS, same messages, no signing/verification/storage
    const relay = await startRelay(join(dir, 'broker-MH'));
    try {
      const rawLat = await relayLatency(
        relay.address,
        holder,
        senders[0]!,
        receiverId,
        presigned.get(senders[0]!)!.slice(0, opts.latency),
      );
      line('link', 'raw gRPC relay latency p50', percentile(rawLat, 50), 'ms');
      line('link', 'raw gRPC relay latency p99', percentile(rawLat, 99), 'ms');
      const raw = await blast(
        relay.address,
        holder,
        senders,
        receiverId,
        presigned,
        opts.window,
        0,
      );
      line('link', 'raw gRPC relay throughput', raw.rate, 'msgs/s');
      line('link', 'ratio latency p50 (cctns / raw)', p50 / percentile(rawLat, 50), 'x');
      line('link', 'ratio latency p99 (cctns / raw)', p99 / percentile(rawLat, 99), 'x');
      line('link', 'ratio throughput (raw / cctns)', raw.rate / brokered.rate, 'x');
    } finally {
      relay.server.forceShutdown();
    }
  } finally {
    await broker.stop();
    pki.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Senders announce a cursor past the end so the broker delivers them nothing. */
const SENDER_CURSOR = Number.MAX_SAFE_INTEGER - 1;

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('benchmark wait timed out');
    await new Promise((r) => setImmediate(r));
  }
}

/** Sends every pre-signed alert over one link per sender with a window; returns deliveries/s at the receiver. */
async function blast(
  address: string,
  holder: (id: string) => string,
  senders: string[],
  receiverId: string,
  presigned: Map<string, string[]>,
  window: number,
  receiverCursor: number,
): Promise<{ rate: number; count: number }> {
  const receiver = new RawLink(address, holder(receiverId));
  await receiver.hello(receiverCursor);
  const links = await Promise.all(
    senders.map(async (id) => {
      const l = new RawLink(address, holder(id));
      await l.hello(SENDER_CURSOR);
      return l;
    }),
  );
  const total = [...presigned.values()].reduce((n, l) => n + l.length, 0);
  const deliveries = () => receiver.received.filter((m) => m.body?.$case === 'delivery').length;
  const start = nowMs();
  await Promise.all(
    links.map(async (l, i) => {
      const list = presigned.get(senders[i]!)!;
      let sent = 0;
      let answered = 0;
      const answers = () =>
        l.received.filter((m) => m.body?.$case === 'accepted' || m.body?.$case === 'refused')
          .length;
      while (answered < list.length) {
        while (sent < list.length && sent - answered < window) {
          l.send({ ref: `t${sent}`, body: { $case: 'alert', value: { jws: list[sent]! } } });
          sent++;
        }
        await new Promise((r) => setImmediate(r));
        answered = answers();
      }
    }),
  );
  await waitFor(() => deliveries() >= total);
  const elapsed = (nowMs() - start) / 1000;
  for (const l of [...links, receiver]) l.close();
  return { rate: total / elapsed, count: total };
}

async function relayLatency(
  address: string,
  holder: (id: string) => string,
  senderId: string,
  receiverId: string,
  jwss: string[],
): Promise<number[]> {
  const receiver = new RawLink(address, holder(receiverId));
  await receiver.hello(0);
  const sender = new RawLink(address, holder(senderId));
  await sender.hello(SENDER_CURSOR);
  const out: number[] = [];
  for (const [i, jws] of jwss.entries()) {
    const before = receiver.received.length;
    const t0 = nowMs();
    sender.send({ ref: `l${i}`, body: { $case: 'alert', value: { jws } } });
    await waitFor(() => receiver.received.length > before);
    if (i >= 10) out.push(nowMs() - t0);
  }
  sender.close();
  receiver.close();
  return out;
}

/**
 * The baseline: a gRPC server speaking the same station-link protocol over the same mutual TLS
 * that forwards each alert to the receiver and answers the sender, and does nothing else.
 */
async function startRelay(tlsDir: string): Promise<{ server: Server; address: string }> {
  const server = new Server();
  let receiver: ServerDuplexStream<AgentMessage, BrokerMessage> | undefined;
  let seq = 0;
  server.addService(StationLinkServiceService, {
    link: (call: ServerDuplexStream<AgentMessage, BrokerMessage>) => {
      call.on('data', (m: AgentMessage) => {
        if (m.body?.$case === 'hello') {
          if (m.body.value.cursor !== SENDER_CURSOR) receiver = call;
          call.write({
            body: {
              $case: 'welcome',
              value: { broker: 'relay', station: '', logHead: 0, resumeFrom: 0 },
            },
          });
        } else if (m.body?.$case === 'alert') {
          seq++;
          receiver?.write({
            body: {
              $case: 'delivery',
              value: { seq, item: { $case: 'alert', value: m.body.value } },
            },
          });
          call.write({
            body: { $case: 'accepted', value: { ref: m.ref, id: '', seq, duplicate: false } },
          });
        }
      });
      call.on('error', () => undefined);
    },
  });
  const creds = ServerCredentials.createSsl(
    readFileSync(join(tlsDir, 'root.pem')),
    [
      {
        cert_chain: readFileSync(join(tlsDir, 'cert.pem')),
        private_key: readFileSync(join(tlsDir, 'key.pem')),
      },
    ],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

export { Agent, testLogger };
