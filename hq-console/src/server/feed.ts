import { type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { channelOptions } from '@cctns/station-agent';
import {
  Alert,
  Category,
  enumLabel,
  Certainty,
  Gender,
  MsgType,
  NotifyChannel,
  PersonRole,
  Receipt,
  ReceiptKind,
  Severity,
  SupervisionServiceClient,
  Urgency,
  VehicleStatus,
  type Delivery,
} from '@cctns/proto';
import { unverifiedPayload } from '@cctns/pki';
import type { Logger } from 'pino';
import { consoleCredentials, type ConsoleTls } from './brokers.js';
import type { AlertView, ReceiptView } from './events.js';

/** The console's view of an alert entry (the broker verified it before it entered the log). */
export function alertView(seq: number, jws: string): AlertView {
  const a = Alert.decode(unverifiedPayload(jws));
  const info = a.info[0];
  const to = {
    national: a.to?.national ?? false,
    states: a.to?.states ?? [],
    districts: a.to?.districts ?? [],
    stations: a.to?.stations ?? [],
  };
  const states = new Set<string>([
    ...to.states,
    ...to.districts.map((d) => d.split('/')[0]!),
    ...to.stations.map((s) => s.split('/')[1]!),
  ]);
  if (to.national) states.add('national');
  const police = a.police;
  return {
    seq,
    id: a.identifier,
    sender: a.sender,
    msgType: enumLabel(MsgType, 'MSG_TYPE_', a.msgType),
    severity: enumLabel(Severity, 'SEVERITY_', info?.severity ?? 0),
    urgency: enumLabel(Urgency, 'URGENCY_', info?.urgency ?? 0),
    certainty: enumLabel(Certainty, 'CERTAINTY_', info?.certainty ?? 0),
    categories: (info?.categories ?? []).map((c) => enumLabel(Category, 'CATEGORY_', c)),
    event: info?.event ?? '',
    headline: info?.headline || info?.event || a.identifier,
    description: info?.description ?? '',
    instruction: info?.instruction ?? '',
    note: a.note,
    sent: a.sent ? a.sent.toISOString() : null,
    expires: info?.expires ? info.expires.toISOString() : null,
    references: a.references,
    states: [...states].sort(),
    to,
    channels: (police?.notify ?? []).flatMap((c): Array<'sms' | 'email'> =>
      c === NotifyChannel.NOTIFY_CHANNEL_SMS
        ? ['sms']
        : c === NotifyChannel.NOTIFY_CHANNEL_EMAIL
          ? ['email']
          : [],
    ),
    firReference: police?.firReference ?? '',
    caseReference: police?.caseReference ?? '',
    modusOperandi: police?.modusOperandi ?? '',
    persons: (police?.persons ?? []).map((p) => ({
      name: p.name,
      aliases: p.aliases,
      fatherName: p.fatherName,
      gender: enumLabel(Gender, 'GENDER_', p.gender),
      age: p.age,
      role: enumLabel(PersonRole, 'PERSON_ROLE_', p.role),
    })),
    vehicles: (police?.vehicles ?? []).map((v) => ({
      registration: v.registration,
      make: v.make,
      model: v.model,
      colour: v.colour,
      status: enumLabel(VehicleStatus, 'VEHICLE_STATUS_', v.status),
    })),
  };
}

/** The console's view of a receipt entry. */
export function receiptView(seq: number, jws: string): ReceiptView {
  const r = Receipt.decode(unverifiedPayload(jws));
  return {
    seq,
    alertId: r.alertId,
    station: r.station,
    kind: enumLabel(ReceiptKind, 'RECEIPT_KIND_', r.kind),
    at: r.at ? r.at.toISOString() : null,
    note: r.note,
  };
}

/** How long the feed waits for anything (an entry or a heartbeat) before it calls the link down. */
export const LINK_SILENCE_MS = 45_000;

/**
 * Follows the broker's supervision stream with the console's own certificate, from the last
 * sequence seen, reconnecting with backoff; hands each entry to `onEntry`. The link is up once
 * the broker opened the stream (its headers) and stays up while entries or the broker's
 * heartbeats keep coming; silence longer than `silenceMs` ends the call and reconnects.
 */
export class SupervisionFeed {
  private cursor = 0;
  private stopped = false;
  private call: ClientReadableStream<Delivery> | undefined;
  private client: SupervisionServiceClient | undefined;

  constructor(
    private readonly opts: {
      address: string;
      /** The broker's home: the feed accepts only `broker/<home>` as the server. */
      home: string;
      tls: ConsoleTls;
      logger: Logger;
      silenceMs?: number;
    },
    private readonly onEntry: (d: Delivery) => void,
    private readonly onLink: (connected: boolean, detail?: string) => void,
  ) {}

  /** Starts following. */
  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const why = await this.once();
      if (this.stopped) break;
      this.onLink(false, why);
      attempt++;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(30_000, 500 * 2 ** attempt)));
    }
  }

  private once(): Promise<string> {
    this.client = new SupervisionServiceClient(
      this.opts.address,
      consoleCredentials(this.opts.tls, `broker/${this.opts.home}`),
      channelOptions(this.opts.address),
    );
    const call = this.client.supervise({ cursor: this.cursor });
    this.call = call;
    const silenceMs = this.opts.silenceMs ?? LINK_SILENCE_MS;
    let watchdog: NodeJS.Timeout | undefined;
    return new Promise<string>((resolve) => {
      let up = false;
      const alive = () => {
        if (!up) {
          up = true;
          this.onLink(true);
        }
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          resolve(`no heartbeat from the broker for ${Math.round(silenceMs / 1000)} s`);
          call.cancel();
        }, silenceMs);
        watchdog.unref();
      };
      call.on('metadata', alive);
      call.on('data', (d: Delivery) => {
        alive();
        // A heartbeat carries no item (and seq 0).
        if (!d.item) return;
        this.cursor = Math.max(this.cursor, d.seq);
        this.onEntry(d);
      });
      call.on('error', (e: ServiceError) => resolve(e.details || e.message));
      call.on('end', () => resolve('the broker ended the stream'));
    }).finally(() => {
      clearTimeout(watchdog);
      this.client?.close();
    });
  }

  /** Stops following. */
  stop(): void {
    this.stopped = true;
    this.call?.cancel();
    this.client?.close();
  }
}
