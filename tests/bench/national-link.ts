import {
  credentials,
  Metadata,
  type ChannelCredentials,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { StationLinkServiceClient, type AgentMessage, type BrokerMessage } from '@cctns/proto';
import { channelOptions } from '@cctns/station-agent';

/** What one link reports to whoever holds it. */
export interface LinkHandlers {
  /** A delivered alert: its log sequence and its JWS text. */
  delivery(seq: number, jws: string): void;
  /** The answer to something sent with `ref`. */
  answer?(ref: string, accepted: boolean, reason: string): void;
}

/** The Welcome of a link: the broker's log head and where deliveries resume. */
export interface Welcomed {
  logHead: number;
  resumeFrom: number;
}

/** Mutual-TLS credentials of a station from PEM text in memory (no holder folder per station). */
export function stationCredentials(root: Buffer, key: Buffer, chain: Buffer): ChannelCredentials {
  // The broker is checked by its chain to the root; its certificate names are not what we dial.
  return credentials.createSsl(root, key, chain, { checkServerIdentity: () => undefined });
}

/** Nanosecond-free milliseconds on CLOCK_MONOTONIC: the same clock in every process of the run. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** How long a station waits before acknowledging its cursor, as the agent batches its acks. */
const ACK_DELAY_MS = 50;

/**
 * One connection of a station link, as the station agent makes it: a fresh client per attempt,
 * hello with the cursor, deliveries acknowledged with a cursor ack shortly after (batched), the
 * agent's channel options. Receipts are not signed: 17,712 RSA signatures per broadcast would
 * measure the link holders, not the network (see BENCHMARKS.md).
 */
export class BenchLink {
  /** Resolves with why the link ended (it never rejects). */
  readonly ended: Promise<string>;
  private readonly client: StationLinkServiceClient;
  private readonly call: ClientDuplexStream<AgentMessage, BrokerMessage>;
  private readonly welcome: Promise<Welcomed>;
  private ackTimer: NodeJS.Timeout | undefined;
  private acked = 0;
  private cursor = 0;
  private closed = false;

  constructor(address: string, creds: ChannelCredentials, handlers: LinkHandlers) {
    this.client = new StationLinkServiceClient(address, creds, channelOptions(address));
    this.call = this.client.link(new Metadata());
    let welcomed: (w: Welcomed) => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    this.welcome = new Promise<Welcomed>((resolve, reject) => {
      welcomed = resolve;
      failed = reject;
    });
    this.welcome.catch(() => undefined);
    let end: (why: string) => void = () => undefined;
    this.ended = new Promise<string>((r) => (end = r));
    this.call.on('data', (m: BrokerMessage) => {
      const body = m.body;
      switch (body?.$case) {
        case 'delivery':
          if (body.value.item?.$case === 'alert') {
            handlers.delivery(body.value.seq, body.value.item.value.jws);
            this.cursor = Math.max(this.cursor, body.value.seq);
            this.ackTimer ??= setTimeout(() => this.ack(), ACK_DELAY_MS);
          }
          return;
        case 'welcome':
          return welcomed({ logHead: body.value.logHead, resumeFrom: body.value.resumeFrom });
        case 'accepted':
          return handlers.answer?.(body.value.ref, true, '');
        case 'refused':
          return handlers.answer?.(body.value.ref, false, body.value.reason);
      }
    });
    const gone = (why: string) => {
      failed(new Error(why));
      end(why);
      this.stop();
    };
    this.call.on('error', (err: Error) => gone(err.message));
    this.call.on('status', (s: StatusObject) => gone(`link ended: ${s.code} ${s.details}`));
    this.call.on('end', () => gone('broker ended the link'));
  }

  /** False once the link has ended, from either side. */
  get alive(): boolean {
    return !this.closed;
  }

  /** Sends hello with the station's cursor and resolves with the welcome. */
  hello(cursor: number): Promise<Welcomed> {
    this.cursor = cursor;
    this.acked = cursor;
    this.call.write({
      ref: '',
      body: { $case: 'hello', value: { cursor, agentVersion: 'bench' } },
    });
    return this.welcome;
  }

  /** Sends a message on the link (an alert, for the ingest figure). */
  send(msg: AgentMessage): void {
    if (!this.closed) this.call.write(msg);
  }

  /** Ends the link from this side. */
  close(): void {
    if (this.closed) return;
    this.call.cancel();
    this.stop();
  }

  private ack(): void {
    this.ackTimer = undefined;
    if (this.closed || this.cursor <= this.acked) return;
    this.acked = this.cursor;
    this.call.write({ ref: '', body: { $case: 'ack', value: { seq: this.cursor } } });
  }

  private stop(): void {
    this.closed = true;
    clearTimeout(this.ackTimer);
    this.client.close();
  }
}
