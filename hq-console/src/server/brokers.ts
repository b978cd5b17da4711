import { credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { pemBlocks, TrustStore } from '@cctns/pki';
import {
  DirectoryServiceClient,
  SupervisionServiceClient,
  type AuditPage,
  type AuditQuery,
  type ContactsDocument,
  type ListEscalationsResponse,
  type ListNotificationsResponse,
  type ListStationsResponse,
} from '@cctns/proto';
import { channelOptions, peerChain, type PeerCert } from '@cctns/station-agent';

/** The console's TLS material: its own `hq/<scope>/console` chain and key, and the national root. */
export interface ConsoleTls {
  keyPem: Buffer;
  chainPem: Buffer;
  rootPem: Buffer;
  trustDomain: string;
}

/** How long a console waits for a broker's answer before naming it unreachable. */
export const BROKER_DEADLINE_MS = 5_000;

/**
 * gRPC credentials that present the console's certificate and accept only `expected` (e.g.
 * `broker/MH`) as the server: identity, not host name, is what a broker is checked by.
 */
export function consoleCredentials(tls: ConsoleTls, expected: string): ChannelCredentials {
  const trust = new TrustStore({
    trustDomain: tls.trustDomain,
    root: tls.rootPem.toString(),
    cas: pemBlocks(tls.chainPem.toString(), 'CERTIFICATE').slice(1),
  });
  return credentials.createSsl(tls.rootPem, tls.keyPem, tls.chainPem, {
    checkServerIdentity: (_host: string, cert: PeerCert) => {
      try {
        const v = trust.verify(peerChain(cert), { kinds: ['broker'], usage: 'server' });
        return v.identityString === expected
          ? undefined
          : new Error(`connected to ${v.identityString}, expected ${expected}`);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
  });
}

/** A broker the console talks to: its home (state or national) and its address. */
export interface BrokerRef {
  home: string;
  address: string;
}

/** Unary calls to one broker's Directory and Supervision services, with a deadline. */
export class BrokerClient {
  private readonly directory: DirectoryServiceClient;
  private readonly supervision: SupervisionServiceClient;

  constructor(
    readonly ref: BrokerRef,
    tls: ConsoleTls,
  ) {
    const creds = consoleCredentials(tls, `broker/${ref.home}`);
    const opts = channelOptions(ref.address);
    this.directory = new DirectoryServiceClient(ref.address, creds, opts);
    this.supervision = new SupervisionServiceClient(ref.address, creds, opts);
  }

  private call<Res>(
    run: (deadline: { deadline: Date }, cb: (err: ServiceError | null, res: Res) => void) => void,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      run({ deadline: new Date(Date.now() + BROKER_DEADLINE_MS) }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  }

  listStations(): Promise<ListStationsResponse> {
    return this.call((o, cb) =>
      this.directory.listStations(
        { state: '', district: '', onlineOnly: false },
        new Metadata(),
        o,
        cb,
      ),
    );
  }

  listNotifications(alertId: string, limit: number): Promise<ListNotificationsResponse> {
    return this.call((o, cb) =>
      this.supervision.listNotifications({ alertId, limit }, new Metadata(), o, cb),
    );
  }

  listEscalations(alertId: string): Promise<ListEscalationsResponse> {
    return this.call((o, cb) =>
      this.supervision.listEscalations({ alertId }, new Metadata(), o, cb),
    );
  }

  getContacts(): Promise<ContactsDocument> {
    return this.call((o, cb) => this.supervision.getContacts({}, new Metadata(), o, cb));
  }

  putContacts(json: string): Promise<ContactsDocument> {
    return this.call((o, cb) => this.supervision.putContacts({ json }, new Metadata(), o, cb));
  }

  queryAudit(q: AuditQuery): Promise<AuditPage> {
    return this.call((o, cb) => this.supervision.queryAudit(q, new Metadata(), o, cb));
  }

  close(): void {
    this.directory.close();
    this.supervision.close();
  }
}

/** The message of a broker's refusal (its reason code leads), for people. */
export function brokerErrorMessage(err: unknown): string {
  const e = err as Partial<ServiceError>;
  const reason = e.metadata?.get('cctns-reason')[0];
  const details = e.details || (err as Error).message || String(err);
  return reason && !details.startsWith(String(reason)) ? `${String(reason)}: ${details}` : details;
}

/** The trust domain a certificate's SPIFFE URI names. */
export function trustDomainOf(uri: string): string {
  const m = /^spiffe:\/\/([^/]+)\//.exec(uri);
  if (!m) throw new Error(`not a SPIFFE URI: ${uri}`);
  return m[1]!;
}
