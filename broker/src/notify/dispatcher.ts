import type { Logger } from 'pino';
import { PeriodicPass } from './periodic.js';
import { RateLimiter } from '../ops/rate-limit.js';
import type { BrokerStore, NotificationRecord } from '../store/store.js';
import {
  ProviderError,
  type Channel,
  type DeliveryState,
  type NotificationProvider,
} from './provider.js';

/** How the dispatcher paces and retries. */
export interface DispatcherOptions {
  /** Messages per second per channel (a vendor's sender limit). */
  ratePerSecond: Partial<Record<Channel, number>>;
  /** First retry delay; doubles per attempt, with full jitter, up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How many notifications one tick looks at. */
  batch?: number;
}

/**
 * Sends queued notifications through their channel's provider. Everything it knows lives in the
 * store: a notification is `pending` until a provider takes it (then `sent`, later `delivered` /
 * `undelivered` / `failed` from the vendor's report); a retryable failure (429, 5xx, SMTP 4xx, a
 * network error) only moves its next attempt later, so a vendor that is down for ten minutes
 * loses nothing and, since each notification is one row, nobody is messaged twice for it.
 */
export class Dispatcher {
  private readonly limiters = new Map<Channel, RateLimiter>();

  private readonly periodic: PeriodicPass;
  constructor(
    private readonly deps: {
      store: BrokerStore;
      providers: Partial<Record<Channel, NotificationProvider>>;
      logger: Logger;
      clock: () => Date;
      /** Called for each notification given up as failed (counted in /metrics). */
      onFailed?: (channel: Channel) => void;
    },
    private readonly opts: DispatcherOptions,
  ) {
    this.periodic = new PeriodicPass(() => this.pass(), this.deps.logger, 'dispatch pass');
    for (const [channel, rate] of Object.entries(opts.ratePerSecond) as Array<[Channel, number]>) {
      this.limiters.set(
        channel,
        new RateLimiter(rate, Math.max(1, rate), () => this.deps.clock().getTime()),
      );
    }
  }

  private backoff(attempts: number): number {
    const base = this.opts.baseBackoffMs ?? 5_000;
    const max = this.opts.maxBackoffMs ?? 5 * 60_000;
    return (
      Math.round(Math.random() * Math.min(max, base * 2 ** Math.max(0, attempts - 1))) +
      Math.min(base, 1000)
    );
  }

  /** One pass over what is due; returns how many were handed to a provider. Never runs twice at once. */
  tick(): Promise<number> {
    return this.periodic.tick();
  }

  private async pass(): Promise<number> {
    const now = this.deps.clock();
    const due = await this.deps.store.dueNotifications(now, this.opts.batch ?? 200);
    let sent = 0;
    for (const n of due) {
      const provider = this.deps.providers[n.channel];
      if (!provider) {
        await this.deps.store.updateNotification(n.key, {
          state: 'failed',
          lastError: `no ${n.channel} provider configured`,
          updatedAt: now,
        });
        this.deps.onFailed?.(n.channel);
        continue;
      }
      // Over the channel's rate: leave it due; the next tick takes it.
      if (!(this.limiters.get(n.channel)?.take(n.channel) ?? true)) continue;
      if (await this.attempt(provider, n)) sent++;
    }
    return sent;
  }

  private async attempt(provider: NotificationProvider, n: NotificationRecord): Promise<boolean> {
    const attempts = n.attempts + 1;
    try {
      const r = await provider.send({
        channel: n.channel,
        to: n.to,
        subject: n.subject,
        text: n.text,
        idempotencyKey: n.key,
      });
      await this.deps.store.updateNotification(n.key, {
        state: r.state === 'delivered' ? 'delivered' : 'sent',
        attempts,
        providerId: r.providerId,
        lastError: null,
        updatedAt: this.deps.clock(),
      });
      this.deps.logger.info(
        { key: n.key, channel: n.channel, providerId: r.providerId },
        'notification sent',
      );
      return true;
    } catch (err) {
      const retryable = err instanceof ProviderError ? err.retryable : true;
      const message = err instanceof Error ? err.message : String(err);
      const now = this.deps.clock();
      if (retryable) {
        await this.deps.store.updateNotification(n.key, {
          attempts,
          nextAttemptAt: new Date(now.getTime() + this.backoff(attempts)),
          lastError: message,
          updatedAt: now,
        });
        this.deps.logger.warn(
          { key: n.key, channel: n.channel, attempts },
          `notification will be retried: ${message}`,
        );
      } else {
        await this.deps.store.updateNotification(n.key, {
          state: 'failed',
          attempts,
          lastError: message,
          updatedAt: now,
        });
        this.deps.onFailed?.(n.channel);
        this.deps.logger.error(
          { key: n.key, channel: n.channel },
          `notification failed: ${message}`,
        );
      }
      return false;
    }
  }

  /** Applies a vendor's delivery report (e.g. a Twilio status callback). False when the id is unknown. */
  async report(providerId: string, state: DeliveryState, error?: string): Promise<boolean> {
    const n = await this.deps.store.notificationByProviderId(providerId);
    if (!n) return false;
    if (state === 'queued' || state === 'sent') return true; // no news beyond what we recorded
    await this.deps.store.updateNotification(n.key, {
      state,
      ...(error ? { lastError: error } : {}),
      updatedAt: this.deps.clock(),
    });
    return true;
  }

  /** Ticks every `intervalMs` until stopped. */
  start(intervalMs = 1_000): void {
    this.periodic.start(intervalMs);
  }

  /** Stops ticking and waits for a pass under way. */
  async stop(): Promise<void> {
    await this.periodic.stop();
  }
}
