/**
 * The raw gRPC baseline of the national benchmark: a child process (one per state, as there is
 * one state broker per state) serving the station-link protocol over the same mutual TLS, with
 * a state broker's certificate, and nothing else: no verification, store, cursor or routing.
 *
 * - Fan-out: it subscribes to a core-NATS subject on the benchmark's nats-server (mutual TLS, as
 *   a broker connects); each message is written as a Delivery with the message's bytes as the
 *   alert's JWS to every open stream. The parent publishes once per broadcast, as HQ's broker
 *   publishes once per state.
 * - Relay: an alert from any stream is written to the receiver's stream (the one that said hello
 *   with `RELAY_RECEIVER_CURSOR`) and answered, as the link bench's relay does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { StationLinkServiceService, type AgentMessage, type BrokerMessage } from '@cctns/proto';
import { connect, type NatsConnection } from 'nats';
import { RELAY_RECEIVER_CURSOR, type HolderReply, type RawServerRequest } from './national-ipc.js';

type Stream = ServerDuplexStream<AgentMessage, BrokerMessage>;

const streams = new Set<Stream>();
let receiver: Stream | undefined;
let seq = 0;
let fanouts = 0;
let relayed = 0;
let server: Server | undefined;
let nc: NatsConnection | undefined;

function link(call: Stream): void {
  call.on('data', (m: AgentMessage) => {
    const body = m.body;
    if (body?.$case === 'hello') {
      if (body.value.cursor === RELAY_RECEIVER_CURSOR) receiver = call;
      else streams.add(call);
      call.write({
        body: {
          $case: 'welcome',
          value: { broker: 'raw', station: '', logHead: seq, resumeFrom: seq },
        },
      });
    } else if (body?.$case === 'alert') {
      seq++;
      relayed++;
      receiver?.write({
        body: { $case: 'delivery', value: { seq, item: { $case: 'alert', value: body.value } } },
      });
      call.write({
        body: { $case: 'accepted', value: { ref: m.ref, id: '', seq, duplicate: false } },
      });
    }
  });
  const gone = () => {
    streams.delete(call);
    if (receiver === call) receiver = undefined;
  };
  call.on('error', gone);
  call.on('end', () => {
    gone();
    call.end();
  });
  call.on('cancelled', gone);
}

async function start(req: Extract<RawServerRequest, { cmd: 'start' }>) {
  const pem = (f: string) => readFileSync(join(req.tlsDir, f));
  server = new Server();
  server.addService(StationLinkServiceService, { link });
  const creds = ServerCredentials.createSsl(
    pem('root.pem'),
    [{ cert_chain: pem('cert.pem'), private_key: pem('key.pem') }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  nc = await connect({
    servers: req.natsUrl,
    tls: {
      caFile: join(req.tlsDir, 'root.pem'),
      certFile: join(req.tlsDir, 'cert.pem'),
      keyFile: join(req.tlsDir, 'key.pem'),
    },
  });
  nc.subscribe(req.subject, {
    callback: (err, msg) => {
      if (err) return;
      seq++;
      fanouts++;
      const jws = Buffer.from(msg.data).toString();
      const out: BrokerMessage = {
        body: { $case: 'delivery', value: { seq, item: { $case: 'alert', value: { jws } } } },
      };
      for (const s of streams) s.write(out);
    },
  });
  await nc.flush(); // the subscription is known to the server before the parent publishes
  return { address: `127.0.0.1:${port}` };
}

/** Counts and memory: RSS and V8 heap used, the same sources as a broker's /metrics (P6 raw). */
function status() {
  const m = process.memoryUsage();
  return { streams: streams.size, fanouts, relayed, rss: m.rss, heap: m.heapUsed };
}

process.on('message', (req: RawServerRequest) => {
  const run = async () => (req.cmd === 'start' ? start(req) : status());
  run().then(
    (result) => process.send?.({ rid: req.rid, ok: true, result } satisfies HolderReply),
    (err: Error) =>
      process.send?.({
        rid: req.rid,
        ok: false,
        error: err.stack ?? err.message,
      } satisfies HolderReply),
  );
});
process.on('disconnect', () => {
  server?.forceShutdown();
  void nc?.close();
  process.exit(0);
});
