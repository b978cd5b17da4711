/**
 * The browser-like socket.io clients of the console benchmark, in a child process of their own
 * (forked by console.bench.ts) so that the server process's memory is the server's alone. Driven
 * over the IPC channel; every time it reports is `performance.timeOrigin + performance.now()` of
 * this process, which the parent maps onto its own clock with a ping/pong calibration.
 *
 * Optionally also a probe: a supervision stream of its own with the console's certificate, which
 * notes when the broker delivers each timed alert. It lives here, not in the server's process, so
 * that its reading does not wait behind the console's own handling of the same delivery; and the
 * difference between a client's arrival and the probe's is then read on one clock.
 */
import { readFileSync } from 'node:fs';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { alertView, receiptView, type AlertView, type ReceiptView } from '@cctns/hq-console';
import { SupervisionServiceClient, type Delivery } from '@cctns/proto';
import { io as connect, type Socket } from 'socket.io-client';

/** What the parent asks. */
export type ClientsRequest =
  | { type: 'connect'; url: string; cookie?: string; n: number; batch: number }
  | { type: 'disconnect' }
  | { type: 'ping'; id: number }
  | { type: 'probe'; address: string; tls: { cert: string; key: string; root: string } }
  | { type: 'collect'; first: number; last: number; timeoutMs: number }
  | { type: 'exit' };

/** What this process answers. */
export type ClientsReply =
  | { type: 'connected'; n: number; failed: number; error?: string }
  | { type: 'disconnected' }
  | { type: 'pong'; id: number; at: number }
  | { type: 'probing' }
  | {
      type: 'collected';
      /** Arrival times per alert index (first..last), one per client that had it. */
      arrivals: Record<number, number[]>;
      /** Deliveries of alerts first..last that never arrived (clients x alerts - arrived). */
      missing: number;
      /** Alerts a client received twice. */
      duplicates: number;
      receipts: number;
      clients: number;
      /**
       * With a probe: when the broker delivered each alert (first..last) and the first receipt
       * for it, and an alert and a receipt view as samples.
       */
      probe?: {
        delivered: Record<number, number>;
        receipts: Record<number, number>;
        view?: AlertView;
        receipt?: ReceiptView;
      };
    };

/** Headline of a timed alert: `bench <index> @<sender's clock, ms>`. */
export const STAMP = /^bench (\d+) @/;

const epochMs = () => performance.timeOrigin + performance.now();
const reply = (m: ClientsReply) => process.send!(m);

let sockets: Socket[] = [];
/** alert index -> arrival times (one per client). */
let arrivals = new Map<number, number[]>();
/** Per client: indices received. */
const seen = new Map<Socket, Set<number>>();
let duplicates = 0;
let receipts = 0;
let probe:
  | {
      client: SupervisionServiceClient;
      call: ClientReadableStream<Delivery>;
      delivered: Map<number, number>;
      /** alert id -> index, and index -> delivery of its first receipt */
      ids: Map<string, number>;
      receipts: Map<number, number>;
      view?: AlertView;
      receipt?: ReceiptView;
    }
  | undefined;

function startProbe(address: string, tls: { cert: string; key: string; root: string }): void {
  const client = new SupervisionServiceClient(
    address,
    credentials.createSsl(readFileSync(tls.root), readFileSync(tls.key), readFileSync(tls.cert), {
      checkServerIdentity: () => undefined,
    }),
    { 'grpc.ssl_target_name_override': 'broker.cctns' },
  );
  const call = client.supervise({ cursor: 0 });
  const p: NonNullable<typeof probe> = {
    client,
    call,
    delivered: new Map(),
    ids: new Map(),
    receipts: new Map(),
  };
  probe = p;
  call.on('data', (d: Delivery) => {
    const at = epochMs();
    if (d.item?.$case === 'alert') {
      const view = alertView(d.seq, d.item.value.jws);
      const m = STAMP.exec(view.headline);
      if (m) {
        p.delivered.set(Number(m[1]), at);
        p.ids.set(view.id, Number(m[1]));
      }
      p.view ??= view;
    } else if (d.item?.$case === 'receipt') {
      const view = receiptView(d.seq, d.item.value.jws);
      const i = p.ids.get(view.alertId);
      if (i !== undefined && !p.receipts.has(i)) p.receipts.set(i, at);
      p.receipt ??= view;
    }
  });
  call.on('error', () => undefined);
}

function stopProbe(): void {
  probe?.call.cancel();
  probe?.client.close();
  probe = undefined;
}

function open(url: string, cookie: string | undefined): Promise<Socket> {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(cookie ? { extraHeaders: { cookie } } : {}),
  });
  const mine = new Set<number>();
  seen.set(socket, mine);
  socket.on('alert', (a: { headline?: string }) => {
    const at = epochMs();
    const m = STAMP.exec(a.headline ?? '');
    if (!m) return;
    const i = Number(m[1]);
    if (mine.has(i)) {
      duplicates++;
      return;
    }
    mine.add(i);
    let list = arrivals.get(i);
    if (!list) arrivals.set(i, (list = []));
    list.push(at);
  });
  socket.on('receipt', () => receipts++);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      seen.delete(socket);
      reject(err);
    });
  });
}

async function collect(first: number, last: number, timeoutMs: number): Promise<void> {
  const want = last - first + 1;
  const count = (s: Socket) => {
    let n = 0;
    for (const i of seen.get(s) ?? []) if (i >= first && i <= last) n++;
    return n;
  };
  const probed = () => {
    for (let i = first; probe && i <= last; i++) if (!probe.delivered.has(i)) return false;
    return true;
  };
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !(sockets.every((s) => count(s) === want) && probed()))
    await new Promise((r) => setTimeout(r, 50));
  const out: Record<number, number[]> = {};
  const delivered: Record<number, number> = {};
  const receiptsAt: Record<number, number> = {};
  let arrived = 0;
  for (let i = first; i <= last; i++) {
    out[i] = arrivals.get(i) ?? [];
    arrived += out[i]!.length;
    const at = probe?.delivered.get(i);
    if (at !== undefined) delivered[i] = at;
    const r = probe?.receipts.get(i);
    if (r !== undefined) receiptsAt[i] = r;
  }
  reply({
    type: 'collected',
    arrivals: out,
    missing: sockets.length * want - arrived,
    duplicates,
    receipts,
    clients: sockets.length,
    ...(probe
      ? {
          probe: {
            delivered,
            receipts: receiptsAt,
            ...(probe.view ? { view: probe.view } : {}),
            ...(probe.receipt ? { receipt: probe.receipt } : {}),
          },
        }
      : {}),
  });
}

process.on('message', (m: ClientsRequest) => {
  void (async () => {
    switch (m.type) {
      case 'connect': {
        let failed = 0;
        let error: string | undefined;
        for (let i = 0; i < m.n; i += m.batch) {
          const batch = await Promise.allSettled(
            Array.from({ length: Math.min(m.batch, m.n - i) }, () => open(m.url, m.cookie)),
          );
          for (const r of batch) {
            if (r.status === 'fulfilled') sockets.push(r.value);
            else {
              failed++;
              error ??= (r.reason as Error).message;
            }
          }
        }
        reply({ type: 'connected', n: sockets.length, failed, ...(error ? { error } : {}) });
        break;
      }
      case 'disconnect':
        for (const s of sockets) s.close();
        sockets = [];
        seen.clear();
        arrivals = new Map();
        duplicates = 0;
        receipts = 0;
        reply({ type: 'disconnected' });
        break;
      case 'ping':
        reply({ type: 'pong', id: m.id, at: epochMs() });
        break;
      case 'probe':
        startProbe(m.address, m.tls);
        reply({ type: 'probing' });
        break;
      case 'collect':
        await collect(m.first, m.last, m.timeoutMs);
        break;
      case 'exit':
        stopProbe();
        for (const s of sockets) s.close();
        process.disconnect();
        break;
    }
  })();
});
