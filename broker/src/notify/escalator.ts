import { parseIdentity, unverifiedPayload } from '@cctns/pki';
import { Alert, Category, enumLabel, NotifyChannel, Severity } from '@cctns/proto';
import type { Logger } from 'pino';
import { PeriodicPass } from './periodic.js';
import { listenKeys } from '../routing/targets.js';
import type { BrokerStore } from '../store/store.js';
import type { ContactDirectory } from './contacts.js';
import type { Channel } from './provider.js';
import {
  NOTICE_CHAIN,
  planEscalations,
  upcomingEscalations,
  type EscalationAlert,
  type EscalationPolicy,
  type PlannedNotification,
  type UpcomingStep,
} from './escalation.js';

/** The SMS and email text of an escalation (SMS short; email with the reference). */
export function escalationText(
  n: PlannedNotification,
  alert: { headline: string; severity: string; sender: string },
): { subject: string; text: string } {
  if (n.chain === NOTICE_CHAIN) {
    const subject = `CCTNS ${alert.severity.toUpperCase()}: ${alert.headline}`.slice(0, 200);
    const text =
      n.channel === 'sms'
        ? `CCTNS ${alert.severity.toUpperCase()} from ${alert.sender}: "${alert.headline}". Check the CCTNS inbox of ${n.station}. Ref ${n.alertId.slice(0, 8)}.`
        : [
            `A notice from ${alert.sender} for ${n.station}.`,
            '',
            `Alert:    ${alert.headline}`,
            `Severity: ${alert.severity}`,
            `Ref:      ${n.alertId}`,
            '',
            'Read it in the station inbox on CCTNS and acknowledge it there.',
          ].join('\n');
    return { subject, text };
  }
  const subject =
    `CCTNS ${alert.severity.toUpperCase()}: not acknowledged — ${alert.headline}`.slice(0, 200);
  const text =
    n.channel === 'sms'
      ? `CCTNS ${alert.severity.toUpperCase()}: "${alert.headline}" not acknowledged by ${n.station}. Ref ${n.alertId.slice(0, 8)}.`
      : [
          `An alert has not been acknowledged by ${n.station}.`,
          '',
          `Alert:    ${alert.headline}`,
          `Severity: ${alert.severity}`,
          `From:     ${alert.sender}`,
          `Ref:      ${n.alertId}`,
          `Escalation: ${n.chain}, step ${n.step + 1}, due ${n.dueAt.toISOString()}`,
          '',
          'Please make sure the station acts on it and acknowledges it on CCTNS.',
        ].join('\n');
  return { subject, text };
}

/**
 * Runs the escalation chains of one broker for its own stations: for each recent alert that
 * addresses some of them, the planner says which officers are due a message given who has
 * acknowledged; each is queued once (its key), so ticks, restarts and replicas never double it.
 */
export class Escalator {
  /** Alerts older than the longest chain (plus an hour) cannot escalate any more. */
  private readonly horizonMs: number;

  private readonly periodic: PeriodicPass;
  constructor(
    private readonly deps: {
      store: BrokerStore;
      policy: EscalationPolicy;
      contacts: ContactDirectory;
      /** This broker's State/UT: it escalates for its own stations. */
      state: string;
      clock: () => Date;
      logger: Logger;
      /** Called after new notifications were queued (e.g. to dispatch at once). */
      onQueued?: () => void;
    },
  ) {
    this.periodic = new PeriodicPass(() => this.pass(), this.deps.logger, 'escalation pass');
    this.horizonMs =
      Math.max(0, ...deps.policy.chains.flatMap((c) => c.steps.map((s) => s.afterMs))) + 3_600_000;
  }

  /** Uses a new contact directory from the next pass on (edited from the console). */
  setContacts(contacts: ContactDirectory): void {
    this.deps.contacts = contacts;
  }

  /** One pass; returns how many notifications were newly queued. Never runs twice at once. */
  tick(): Promise<number> {
    return this.periodic.tick();
  }

  /**
   * The recent alerts that address this broker's stations (all, or the one named), each with the
   * stations it addresses and those that acknowledged it.
   */
  private async followed(now: Date, alertId = '') {
    const alerts = await this.deps.store.recentAlerts(
      new Date(now.getTime() - this.horizonMs),
      now,
      1000,
    );
    const out: Array<{
      summary: EscalationAlert & { sender: string };
      addressed: string[];
      acknowledged: Set<string>;
    }> = [];
    if (alerts.length === 0) return out;
    const stations = (await this.deps.store.stations(`station/${this.deps.state}/`)).map((s) => ({
      identity: s.identity,
      keys: listenKeys(parseIdentity(s.identity)),
    }));
    for (const entry of alerts) {
      const addressed = stations
        .filter((s) => s.keys.some((k) => entry.targets.includes(k)))
        .map((s) => s.identity);
      if (addressed.length === 0) continue;
      // The alert was verified when it entered the log; here it is only read.
      const alert = Alert.decode(unverifiedPayload(entry.jws));
      const info = alert.info[0];
      if (!info || (alertId && alert.identifier !== alertId)) continue;
      const summary = {
        id: alert.identifier,
        headline: info.headline || info.event,
        severity: enumLabel(Severity, 'SEVERITY_', info.severity),
        categories: info.categories.map((c) => enumLabel(Category, 'CATEGORY_', c)),
        sentAt: alert.sent ?? entry.createdAt,
        sender: alert.sender,
        notify: (alert.police?.notify ?? []).flatMap((c): Channel[] =>
          c === NotifyChannel.NOTIFY_CHANNEL_SMS
            ? ['sms']
            : c === NotifyChannel.NOTIFY_CHANNEL_EMAIL
              ? ['email']
              : [],
        ),
      };
      const acknowledged = new Set(
        (await this.deps.store.receipts(alert.identifier))
          .filter((r) => r.kind === 'acknowledged')
          .map((r) => r.station),
      );
      out.push({ summary, addressed, acknowledged });
    }
    return out;
  }

  /** The next step due for each station that has not acknowledged a recent alert (or one). */
  async upcoming(alertId = ''): Promise<UpcomingStep[]> {
    const now = this.deps.clock();
    return (await this.followed(now, alertId)).flatMap(({ summary, addressed, acknowledged }) =>
      upcomingEscalations({
        policy: this.deps.policy,
        contacts: this.deps.contacts,
        alert: summary,
        stations: addressed,
        acknowledged,
        now,
      }),
    );
  }

  private async pass(): Promise<number> {
    const now = this.deps.clock();
    let queued = 0;
    for (const { summary, addressed, acknowledged } of await this.followed(now)) {
      const plan = planEscalations({
        policy: this.deps.policy,
        contacts: this.deps.contacts,
        alert: summary,
        stations: addressed,
        acknowledged,
        now,
      });
      for (const n of plan) {
        const { subject, text } = escalationText(n, summary);
        if (
          await this.deps.store.enqueueNotification({
            key: n.key,
            alertId: n.alertId,
            station: n.station,
            contactId: n.contactId,
            channel: n.channel,
            to: n.to,
            subject,
            text,
            nextAttemptAt: now,
            createdAt: now,
          })
        ) {
          queued++;
          this.deps.logger.info(
            {
              alert: n.alertId,
              station: n.station,
              contact: n.contactId,
              channel: n.channel,
              chain: n.chain,
              step: n.step,
            },
            'escalation queued',
          );
        }
      }
    }
    if (queued > 0) this.deps.onQueued?.();
    return queued;
  }

  /** Ticks every `intervalMs` until stopped. */
  start(intervalMs = 15_000): void {
    this.periodic.start(intervalMs);
  }

  /** Stops ticking and waits for a pass under way. */
  async stop(): Promise<void> {
    await this.periodic.stop();
  }
}
