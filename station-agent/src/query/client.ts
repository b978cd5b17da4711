import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  JwsSigner,
  loadPrivateKey,
  pemBlocks,
  signLookup,
  TrustStore,
  type KeyPair,
} from '@cctns/pki';
import {
  LookupServiceClient,
  RecordServiceClient,
  type LookupRequest,
  type LookupResponse,
  type Purpose,
  type PutRecordResponse,
  type Record as RecordMsg,
} from '@cctns/proto';
import { brokerIdentityCheck, channelOptions } from '../link/link-client.js';

/** What a lookup asks: one kind of query, why, and where. */
export interface LookupInput {
  query: NonNullable<LookupRequest['query']>;
  purpose: Purpose;
  /** States to search; empty or absent: every state (national). */
  states?: string[];
  limit?: number;
}

/** The certificate a client connects and signs with. */
export interface ClientCredentials {
  identity: string;
  trustDomain: string;
  /** The caller's broker (an agency's: the national broker; a station's: its state's). */
  broker: string;
  keyPem: string | Buffer;
  chainPem: string | Buffer;
  rootPem: string | Buffer;
}

/**
 * The typed client for records and lookups, for stations, HQ and agencies: connects to its
 * broker over mutual TLS with its own certificate, signs every lookup with its own key (so every
 * broker that answers can check who asks and why), and checks that the server is a broker of
 * this PKI.
 */
export class RecordsClient {
  private readonly lookups: LookupServiceClient;
  private readonly records: RecordServiceClient;
  private readonly signer: JwsSigner;

  constructor(
    readonly creds: ClientCredentials,
    private readonly deadlineMs = 30_000,
  ) {
    const keys: KeyPair = loadPrivateKey(String(creds.keyPem), undefined, 'the client key');
    this.signer = new JwsSigner(keys.privateKey, String(creds.chainPem));
    const trust = new TrustStore({
      trustDomain: creds.trustDomain,
      root: String(creds.rootPem),
      cas: pemBlocks(String(creds.chainPem), 'CERTIFICATE').slice(1),
    });
    const channel = credentials.createSsl(
      Buffer.from(creds.rootPem),
      Buffer.from(creds.keyPem),
      Buffer.from(creds.chainPem),
      { checkServerIdentity: brokerIdentityCheck(trust) },
    );
    this.lookups = new LookupServiceClient(creds.broker, channel, channelOptions(creds.broker));
    this.records = new RecordServiceClient(creds.broker, channel, channelOptions(creds.broker));
  }

  /** A client from PEM files. */
  static fromFiles(args: {
    identity: string;
    trustDomain: string;
    broker: string;
    key: string;
    cert: string;
    root: string;
  }): RecordsClient {
    return new RecordsClient({
      identity: args.identity,
      trustDomain: args.trustDomain,
      broker: args.broker,
      keyPem: readFileSync(args.key),
      chainPem: readFileSync(args.cert),
      rootPem: readFileSync(args.root),
    });
  }

  private call<Res>(
    run: (
      md: Metadata,
      o: { deadline: Date },
      cb: (e: ServiceError | null, r: Res) => void,
    ) => void,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      run(new Metadata(), { deadline: new Date(Date.now() + this.deadlineMs) }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  }

  /** Signs and sends a lookup; the answer names the states that did not answer. */
  async search(input: LookupInput, now = new Date()): Promise<LookupResponse> {
    const signed = await signLookup(this.signer, {
      id: randomUUID(),
      caller: this.creds.identity,
      purpose: input.purpose,
      states: input.states ?? [],
      limit: input.limit ?? 20,
      issuedAt: now,
      query: input.query,
    });
    return this.call((md, o, cb) => this.lookups.search(signed, md, o, cb));
  }

  /** Adds (no id) or changes (id and the version read) a record this station owns. */
  put(record: RecordMsg): Promise<PutRecordResponse> {
    return this.call((md, o, cb) => this.records.put({ record }, md, o, cb));
  }

  /** Reads a record by id (a purpose is needed unless the station owns it). */
  get(id: string, purpose?: Purpose): Promise<RecordMsg> {
    return this.call((md, o, cb) =>
      this.records.get({ id, ...(purpose ? { purpose } : {}) }, md, o, cb),
    );
  }

  close(): void {
    this.lookups.close();
    this.records.close();
  }
}
