import { isIP } from 'node:net';
import { credentials, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import type { JwsSigner } from '@cctns/pki';
import {
  isPkiError,
  openAlert,
  openReceipt,
  parseIdentity,
  signReceipt,
  verifyApproval,
  type TrustStore,
} from '@cctns/pki';
import {
  MsgType,
  ReceiptKind,
  Severity,
  StationLinkServiceClient,
  type AgentMessage,
  type BrokerMessage,
  type Delivery,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { enumLabel } from '../compose/alert.js';
import type { AgentStore, OutboxItem } from '../store/agent-store.js';

/** A national broadcast (not a Cancel) must carry an approval; brokers apply their wider policy. */
function needsApproval(alert: { to?: { national: boolean }; msgType: MsgType }): boolean {
  return Boolean(alert.to?.national) && alert.msgType !== MsgType.MSG_TYPE_CANCEL;
}

/** TLS material and identity the link presents. */
export interface LinkCredentials {
  identity: string;
  keyPem: Buffer;
  chainPem: Buffer;
  rootPem: Buffer;
}

/** What the link needs from the agent. */
export interface LinkOptions {
  address: string;
  creds: () => LinkCredentials;
  trust: TrustStore;
  store: AgentStore;
  signer: () => JwsSigner;
  logger: Logger;
  clock?: () => Date;
  /** Outbox messages in flight at once. */
  window?: number;
  /** Backoff bounds for reconnecting. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the outbox is looked at when idle (the CLI writes it from another process). */
  outboxPollMs?: number;
}

/** Link states as `cctns agent status` shows them. */
export type LinkState = 'connecting' | 'connected' | 'down' | 'stopped';

/** Events of interest to people and tests. */
export interface LinkEvents {
  state?(state: LinkState, detail?: string): void;
  alert?(alertId: string, seq: number): void;
  receipt?(alertId: string, station: string, kind: string): void;
  answered?(ref: string, ok: boolean): void;
}

/** A TLS peer certificate as node reports it (detailed: with its issuer chain). */
export interface PeerCert {
  raw: Buffer;
  issuerCertificate?: PeerCert;
}

/** The DER chain a TLS peer presented, leaf first, without the self-signed root. */
export function peerChain(cert: PeerCert): Buffer[] {
  const out: Buffer[] = [];
  for (let c: PeerCert | undefined = cert; c && out.length < 4; c = c.issuerCertificate) {
    if (out.length > 0 && c.issuerCertificate === c) break;
    out.push(c.raw);
  }
  return out;
}

/**
 * Checks that the server is a broker of this PKI — of the station's own state when `station` is
 * given — rather than any TLS server with a valid chain (identity, not host name, is what counts).
 */
export function brokerIdentityCheck(
  trust: TrustStore,
  station?: string,
): (host: string, cert: PeerCert) => Error | undefined {
  const state = station ? parseIdentity(station) : undefined;
  return (_host, cert) => {
    try {
      const v = trust.verify(peerChain(cert), { kinds: ['broker'], usage: 'server' });
      // Stations and HQ operators link to the broker of their home (their state, or national).
      const expected =
        state && (state.kind === 'station' || state.kind === 'hq')
          ? `broker/${state.state}`
          : undefined;
      if (expected && v.identityString !== expected)
        return new Error(`connected to ${v.identityString}, expected ${expected}`);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
}

/** gRPC channel options every agent link uses: keepalive for links that sit idle behind NAT. */
export const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};

/**
 * Channel options for a broker address. TLS forbids an IP address as server name (SNI); the
 * broker is checked by its certificate identity, not its host name, so a fixed name is sent.
 */
export function channelOptions(address: string): Record<string, string | number> {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return isIP(host)
    ? { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': 'broker.cctns' }
    : CHANNEL_OPTIONS;
}

/** How long the outbox waits after the broker says RATE_LIMITED (or its store is full or locked). */
const RATE_LIMIT_PAUSE_MS = 1000;

/** Refusals the broker takes back once its condition passes: the item stays queued and is resent. */
const RETRY_LATER = new Set(['RATE_LIMITED', 'STORE_FULL', 'STORE_BUSY']);

/** Whether an error is the station's own database failing to write (disk full, locked). */
function isStoreFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

const RECEIPT_LABEL: Record<number, string> = {
  [ReceiptKind.RECEIPT_KIND_DELIVERED]: 'delivered',
  [ReceiptKind.RECEIPT_KIND_READ]: 'read',
  [ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED]: 'acknowledged',
};

/**
 * The station's one link to its broker: hello with the cursor, deliveries verified end to end
 * and stored once (duplicates dropped by id) with the cursor in the same transaction, delivered
 * receipts queued, the outbox sent with a window of answers outstanding, reconnects with
 * exponential backoff and full jitter.
 */
export class AgentLink {
  private stopped = false;
  private call: ClientDuplexStream<AgentMessage, BrokerMessage> | undefined;
  private client: StationLinkServiceClient | undefined;
  private readonly inflight = new Map<string, OutboxItem>();
  private work: Promise<void> = Promise.resolve();
  private welcomed = false;
  private wakeOutbox: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly clock: () => Date;
  private pausedUntil = 0;
  state: LinkState = 'connecting';

  constructor(
    private readonly opts: LinkOptions,
    private readonly events: LinkEvents = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Starts the connect loop. */
  start(): void {
    this.loopDone = this.loop();
  }

  /** Nudges the outbox sender (after the agent queued something in this process). */
  nudge(): void {
    this.wakeOutbox?.();
  }

  private setState(state: LinkState, detail?: string): void {
    this.state = state;
    try {
      this.opts.store.setState(
        'link',
        JSON.stringify({
          state,
          detail: detail ?? null,
          at: this.clock().toISOString(),
          broker: this.opts.address,
        }),
      );
    } catch (err) {
      // What `cctns agent status` shows; a full or locked station database must not stop the
      // link from reconnecting (it would never come back when space returns).
      if (!isStoreFault(err)) throw err;
      this.opts.logger.error({ err: (err as Error).message }, 'link state not recorded');
    }
    this.events.state?.(state, detail);
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    while (!this.stopped) {
      this.setState('connecting');
      const detail = await this.connectOnce();
      if (this.stopped) break;
      attempt = this.welcomed ? 0 : attempt + 1;
      const delay = Math.random() * Math.min(max, min * 2 ** attempt);
      this.setState('down', detail);
      this.opts.logger.warn({ retryInMs: Math.round(delay), reason: detail }, 'link down');
      await new Promise((r) => setTimeout(r, delay));
    }
    this.setState('stopped');
  }

  /** One connection, until it ends; returns why it ended. */
  private connectOnce(): Promise<string> {
    const c = this.opts.creds();
    this.welcomed = false;
    const creds = credentials.createSsl(c.rootPem, c.keyPem, c.chainPem, {
      checkServerIdentity: brokerIdentityCheck(this.opts.trust, c.identity),
    });
    this.client = new StationLinkServiceClient(
      this.opts.address,
      creds,
      channelOptions(this.opts.address),
    );
    const call = this.client.link(new Metadata());
    this.call = call;
    return new Promise<string>((resolve) => {
      let done = false;
      const finish = (why: string) => {
        if (done) return;
        done = true;
        this.call = undefined;
        this.inflight.clear();
        this.wakeOutbox?.();
        this.client?.close();
        resolve(why);
      };
      // A delivery the station's database could not store ends the link: nothing after it is
      // taken (the cursor would move past it), and the next link resumes from the cursor.
      let storeFailed = false;
      call.on('data', (msg: BrokerMessage) => {
        this.work = this.work
          .then(() => (storeFailed ? undefined : this.onMessage(msg)))
          .catch((err: unknown) => {
            if (isStoreFault(err) && !storeFailed) {
              storeFailed = true;
              this.opts.logger.error(
                { err: (err as Error).message },
                'delivery not stored: the station database cannot be written; relinking to resume from the cursor',
              );
              call.cancel();
              finish(`station database cannot be written: ${(err as Error).message}`);
              return;
            }
            this.opts.logger.error({ err }, 'message handling failed');
          });
      });
      call.on('error', (err) => finish(err.message));
      call.on('end', () => finish('broker ended the link'));
      call.write({
        ref: '',
        body: {
          $case: 'hello',
          value: { cursor: this.opts.store.cursor(), agentVersion: '0.1.0' },
        },
      });
    });
  }

  private async onMessage(msg: BrokerMessage): Promise<void> {
    const body = msg.body;
    switch (body?.$case) {
      case 'welcome':
        this.welcomed = true;
        this.setState('connected', body.value.broker);
        this.opts.logger.info(
          { broker: body.value.broker, head: body.value.logHead, from: body.value.resumeFrom },
          'link up',
        );
        void this.sendOutbox();
        return;
      case 'delivery':
        await this.onDelivery(body.value);
        return;
      case 'accepted':
      case 'refused': {
        const item = this.inflight.get(body.value.ref);
        if (!item) return;
        this.inflight.delete(body.value.ref);
        if (body.$case === 'accepted') {
          this.opts.store.answer(
            item.ref,
            { status: 'accepted', seq: body.value.seq },
            this.clock(),
          );
          this.events.answered?.(item.ref, true);
        } else if (RETRY_LATER.has(body.value.reason)) {
          // Stays pending: the outbox pauses, then sends it again.
          this.pausedUntil = Date.now() + RATE_LIMIT_PAUSE_MS;
          this.opts.logger.warn(
            { ref: item.ref, reason: body.value.reason },
            `broker cannot take it now (${body.value.message}); will resend`,
          );
        } else {
          this.opts.store.answer(
            item.ref,
            { status: 'refused', reason: body.value.reason, message: body.value.message },
            this.clock(),
          );
          this.opts.logger.warn(
            { ref: item.ref, alert: item.alertId, reason: body.value.reason },
            `broker refused: ${body.value.message}`,
          );
          this.events.answered?.(item.ref, false);
        }
        this.wakeOutbox?.();
        return;
      }
      default:
        return;
    }
  }

  private async onDelivery(d: Delivery): Promise<void> {
    const store = this.opts.store;
    const item = d.item;
    try {
      if (item?.$case === 'alert') {
        const { alert, signer } = await openAlert(item.value.jws, this.opts.trust, {
          at: this.clock(),
        });
        // The two-person rule, checked here too: a national broadcast carries a second
        // officer's approval of this exact alert, and any approval carried must verify.
        if (alert.approval || needsApproval(alert))
          await verifyApproval(alert, this.opts.trust, { at: this.clock() });
        const now = this.clock();
        // Sign the delivered receipt before the transaction: storing the alert, queueing its
        // receipt and moving the cursor then happen together or not at all.
        const receipt = await signReceipt(this.opts.signer(), {
          alertId: alert.identifier,
          station: this.opts.creds().identity,
          kind: ReceiptKind.RECEIPT_KIND_DELIVERED,
          at: now,
          note: '',
        });
        const info = alert.info[0];
        const fresh = store.transaction(() => {
          const added = store.addToInbox({
            alertId: alert.identifier,
            seq: d.seq,
            sender: signer.identityString,
            msgType: enumLabel(MsgType, 'MSG_TYPE_', alert.msgType),
            severity: enumLabel(Severity, 'SEVERITY_', info?.severity ?? 0),
            headline: info?.headline || info?.event || '',
            sentAt: alert.sent ?? now,
            receivedAt: now,
            references: alert.references,
            jws: item.value.jws,
          });
          if (added)
            store.enqueue({
              ref: `receipt:${alert.identifier}:delivered`,
              kind: 'receipt',
              alertId: alert.identifier,
              jws: receipt.jws,
              label: 'delivered',
              createdAt: now,
            });
          store.advanceCursor(d.seq);
          return added;
        });
        if (fresh) {
          this.opts.logger.info(
            { alert: alert.identifier, from: signer.identityString, seq: d.seq },
            'alert received',
          );
          this.events.alert?.(alert.identifier, d.seq);
          this.nudge();
        }
      } else if (item?.$case === 'receipt') {
        const { receipt } = await openReceipt(item.value.jws, this.opts.trust, {
          at: this.clock(),
        });
        const kind = RECEIPT_LABEL[receipt.kind] ?? 'unknown';
        store.transaction(() => {
          if (store.outboxItem(receipt.alertId)) {
            store.addTrail({
              alertId: receipt.alertId,
              station: receipt.station,
              kind,
              at: receipt.at ?? this.clock(),
              note: receipt.note,
            });
          }
          store.advanceCursor(d.seq);
        });
        this.events.receipt?.(receipt.alertId, receipt.station, kind);
      }
    } catch (err) {
      // The station's own database failing is not the delivery's fault: it is taken again later.
      if (isStoreFault(err)) throw err;
      // A delivery that fails end-to-end verification (e.g. injected by a compromised hop) is
      // refused and logged; the cursor moves on so it is not asked for again.
      const reason = isPkiError(err) ? err.code : 'INTERNAL';
      this.opts.logger.warn(
        { seq: d.seq, reason, err: (err as Error).message },
        'delivery refused: verification failed',
      );
      store.advanceCursor(d.seq);
      store.setState(
        'refusedDeliveries',
        String(Number(store.getState('refusedDeliveries') ?? 0) + 1),
      );
    }
    this.scheduleAck();
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      this.call?.write({
        ref: '',
        body: { $case: 'ack', value: { seq: this.opts.store.cursor() } },
      });
    }, 50);
  }

  private async sendOutbox(): Promise<void> {
    const window = this.opts.window ?? 32;
    const poll = this.opts.outboxPollMs ?? 250;
    while (this.call && this.welcomed && !this.stopped) {
      const call = this.call;
      const room = Date.now() < this.pausedUntil ? 0 : window - this.inflight.size;
      const batch =
        room > 0
          ? this.opts.store
              .pending(window)
              .filter((i) => !this.inflight.has(i.ref))
              .slice(0, room)
          : [];
      for (const item of batch) {
        this.inflight.set(item.ref, item);
        const body =
          item.kind === 'alert'
            ? ({ $case: 'alert', value: { jws: item.jws } } as const)
            : ({ $case: 'receipt', value: { jws: item.jws } } as const);
        call.write({ ref: item.ref, body });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, poll);
        this.wakeOutbox = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeOutbox = undefined;
    }
  }

  /** Closes the link and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.call?.cancel();
    this.wakeOutbox?.();
    await this.loopDone;
    await this.work;
  }
}
