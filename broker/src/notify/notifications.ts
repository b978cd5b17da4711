import { renameSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { NotifyConfig } from '../config/config.js';
import type { BrokerStore } from '../store/store.js';
import { loadContacts, parseContacts, type ContactDirectory } from './contacts.js';
import { Dispatcher } from './dispatcher.js';
import { loadEscalation } from './escalation.js';
import { Escalator } from './escalator.js';
import type { NotificationProvider } from './provider.js';
import { SmtpEmailProvider } from './providers/smtp-email.js';
import { TwilioSmsProvider, twilioStatusCallback } from './providers/twilio-sms.js';

/** The path of the Twilio status callback on the broker's HTTP endpoint. */
export const TWILIO_STATUS_PATH = '/twilio/status';

/**
 * A broker's notifications: providers from the config, the dispatcher draining the durable queue,
 * the escalator filling it from the chains, and the Twilio status-callback endpoint.
 */
export class Notifications {
  private constructor(
    readonly dispatcher: Dispatcher,
    readonly escalator: Escalator,
    readonly routes: Record<string, RequestListener>,
    private readonly providers: NotificationProvider[],
    private readonly contactsFile: string,
    private directory: ContactDirectory,
  ) {}

  /** The contact directory in use. */
  contacts(): ContactDirectory {
    return this.directory;
  }

  /**
   * Replaces the contact directory (from the console): validated as a whole, written to its file
   * atomically (so a restart keeps it), used by the next escalation pass.
   */
  replaceContacts(doc: unknown): ContactDirectory {
    const next = parseContacts(doc, 'contacts');
    const tmp = `${this.contactsFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o640 });
    renameSync(tmp, this.contactsFile);
    this.directory = next;
    this.escalator.setContacts(next);
    return next;
  }

  /** Builds everything from a validated config (files are read and checked here, at start-up). */
  static create(args: {
    config: NotifyConfig;
    store: BrokerStore;
    state: string;
    logger: Logger;
    clock: () => Date;
    /** Called for each notification given up as failed. */
    onFailed?: (channel: 'sms' | 'email') => void;
  }): Notifications {
    const { config, store, logger, clock } = args;
    const contacts = loadContacts(config.contacts);
    const policy = loadEscalation(config.escalation);
    const providers: { sms?: NotificationProvider; email?: NotificationProvider } = {};
    if (config.sms) {
      providers.sms = new TwilioSmsProvider({
        accountSid: config.sms.accountSid,
        authToken: config.sms.authToken,
        ...(config.sms.from ? { from: config.sms.from } : {}),
        ...(config.sms.messagingServiceSid
          ? { messagingServiceSid: config.sms.messagingServiceSid }
          : {}),
        ...(config.sms.statusCallbackUrl ? { statusCallback: config.sms.statusCallbackUrl } : {}),
        ...(config.sms.dltEntityId ? { dltEntityId: config.sms.dltEntityId } : {}),
        ...(config.sms.dltTemplateId ? { dltTemplateId: config.sms.dltTemplateId } : {}),
        ...(config.sms.baseUrl ? { baseUrl: config.sms.baseUrl } : {}),
      });
    }
    if (config.email) {
      providers.email = new SmtpEmailProvider({
        host: config.email.host,
        port: config.email.port,
        secure: config.email.secure,
        requireTLS: config.email.requireTLS,
        ...(config.email.user && config.email.password
          ? { auth: { user: config.email.user, pass: config.email.password } }
          : {}),
        from: config.email.from,
      });
    }
    const log = logger.child({ component: 'notify' });
    const dispatcher = new Dispatcher(
      {
        store,
        providers,
        logger: log,
        clock,
        ...(args.onFailed ? { onFailed: args.onFailed } : {}),
      },
      {
        ratePerSecond: {
          ...(config.sms ? { sms: config.sms.ratePerSecond } : {}),
          ...(config.email ? { email: config.email.ratePerSecond } : {}),
        },
      },
    );
    const escalator = new Escalator({
      store,
      policy,
      contacts,
      state: args.state,
      clock,
      logger: log,
      onQueued: () => void dispatcher.tick().catch(() => undefined),
    });
    const routes: Record<string, RequestListener> = {};
    if (config.sms?.statusCallbackUrl) {
      routes[TWILIO_STATUS_PATH] = twilioStatusCallback({
        authToken: config.sms.authToken,
        publicUrl: config.sms.statusCallbackUrl,
        onStatus: async (u) => {
          if (!(await dispatcher.report(u.providerId, u.state, u.errorCode)))
            log.warn({ sid: u.providerId }, 'status callback for an unknown message');
        },
      });
    }
    return new Notifications(
      dispatcher,
      escalator,
      routes,
      Object.values(providers),
      config.contacts,
      contacts,
    );
  }

  /** Starts dispatching and escalating. */
  start(tickSeconds: number): void {
    this.dispatcher.start(1000);
    this.escalator.start(tickSeconds * 1000);
  }

  /** Stops both loops and closes the providers. */
  async stop(): Promise<void> {
    await this.escalator.stop();
    await this.dispatcher.stop();
    for (const p of this.providers) await p.close().catch(() => undefined);
  }
}
