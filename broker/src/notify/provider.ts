/**
 * Notification providers: one interface, one file per vendor (`providers/twilio-sms.ts`,
 * `providers/smtp-email.ts`), each mapping the vendor's delivery states to ours.
 */

/** A channel a notification goes out on. */
export type Channel = 'sms' | 'email';

/** One message to one recipient. */
export interface OutboundMessage {
  channel: Channel;
  /** E.164 phone number for SMS (`+919812345678`), address for email. */
  to: string;
  /** Email subject; ignored for SMS. */
  subject?: string;
  /** Plain text. SMS text may be long or non-Latin (it is split into segments by the vendor). */
  text: string;
  /**
   * A key that is the same every time this exact notification is attempted (alert, recipient,
   * channel): providers pass it on where the vendor supports idempotency.
   */
  idempotencyKey: string;
}

/** Our delivery states; each provider maps its vendor's states onto them. */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'failed' | 'undelivered';

/** What a provider says after handing a message to its vendor. */
export interface SendResult {
  /** The vendor's id for the message (Twilio SID, SMTP message id). */
  providerId: string;
  state: DeliveryState;
  /** SMS segments billed (GSM-7 / UCS-2 counting), 1 for email. */
  segments: number;
}

/**
 * Why a send failed. `retryable` is true for 429, 5xx, SMTP 4xx and network errors (retried with
 * backoff), false for errors that will not change (bad number, 4xx other than 429, SMTP 5xx).
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A notification vendor. */
export interface NotificationProvider {
  readonly channel: Channel;
  /** Hands one message to the vendor; throws ProviderError. */
  send(message: OutboundMessage): Promise<SendResult>;
  /** Releases connections. */
  close(): Promise<void>;
}
