import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ClientDuplexStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  AgentMessage,
  StationLinkServiceService,
  type BrokerMessage,
  type StationLinkServiceClient,
} from '@cctns/proto';

/** The link's client side, with one addition: a Buffer is sent as it is (a frame of any bytes). */
const RawLinkClient = makeGenericClientConstructor(
  {
    link: {
      ...StationLinkServiceService.link,
      requestSerialize: (m: AgentMessage | Buffer) =>
        Buffer.isBuffer(m) ? m : Buffer.from(AgentMessage.encode(m).finish()),
    },
  },
  'cctns.v1.StationLinkService',
) as unknown as typeof StationLinkServiceClient;

/**
 * A bare station link for tests that must send what a well-behaved agent never would: raw
 * AgentMessages (or any bytes, with `sendRaw`) in, every BrokerMessage and the final status
 * collected.
 */
export class RawLink {
  readonly received: BrokerMessage[] = [];
  readonly ended: Promise<StatusObject>;
  private readonly client: StationLinkServiceClient;
  private readonly call: ClientDuplexStream<AgentMessage, BrokerMessage>;
  private waiters: Array<() => void> = [];

  constructor(address: string, holderDir: string) {
    const creds = credentials.createSsl(
      readFileSync(join(holderDir, 'root.pem')),
      readFileSync(join(holderDir, 'key.pem')),
      readFileSync(join(holderDir, 'cert.pem')),
      {
        checkServerIdentity: () => undefined,
      },
    );
    this.client = new RawLinkClient(address, creds, {
      'grpc.ssl_target_name_override': 'broker.cctns',
    });
    this.call = this.client.link(new Metadata());
    this.call.on('data', (m: BrokerMessage) => {
      this.received.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
    this.ended = new Promise((resolve) => {
      this.call.on('status', (s: StatusObject) => resolve(s));
      this.call.on('error', (e: ServiceError) =>
        resolve({ code: e.code, details: e.details, metadata: e.metadata }),
      );
    });
    this.call.on('error', () => undefined);
  }

  /** Sends a message on the link. */
  send(msg: AgentMessage): void {
    this.call.write(msg);
  }

  /** Sends a frame of any bytes, as they are, as one message on the link. */
  sendRaw(bytes: Buffer): void {
    this.call.write(bytes as unknown as AgentMessage);
  }

  /** Sends hello and waits for the welcome. */
  async hello(cursor = 0): Promise<BrokerMessage> {
    this.send({ ref: '', body: { $case: 'hello', value: { cursor, agentVersion: 'test' } } });
    return this.next((m) => m.body?.$case === 'welcome');
  }

  /** The first message (already received or coming) that matches. */
  async next(match: (m: BrokerMessage) => boolean, timeoutMs = 10_000): Promise<BrokerMessage> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > end)
        throw new Error(
          `no matching broker message within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((m) => m.body?.$case))}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The answer (accepted or refused) to the message sent with `ref`. */
  async answer(
    ref: string,
  ): Promise<{ accepted: boolean; reason: string; code: number; seq: number; message: string }> {
    const m = await this.next(
      (x) =>
        (x.body?.$case === 'accepted' || x.body?.$case === 'refused') && x.body.value.ref === ref,
    );
    if (m.body?.$case === 'accepted')
      return { accepted: true, reason: '', code: 0, seq: m.body.value.seq, message: '' };
    if (m.body?.$case === 'refused')
      return {
        accepted: false,
        reason: m.body.value.reason,
        code: m.body.value.code,
        seq: 0,
        message: m.body.value.message,
      };
    throw new Error('unreachable');
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
