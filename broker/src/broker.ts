import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Server as HttpServer } from 'node:http';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  JwsSigner,
  loadPrivateKey,
  signAlert,
  parseIdentity,
  pemBlocks,
  Pki,
  TrustStore,
  type IssuingCa,
} from '@cctns/pki';
import { Audit } from './audit/audit.js';
import { AuditWitness, WITNESS_SUBJECT, witnessCodec } from './audit/witness.js';
import { BrokerError } from './errors.js';
import { hitNotice } from './lookup/hits.js';
import { DEFAULT_LOOKUP_POLICY, loadLookupPolicy } from './lookup/policy.js';
import { Lookups } from './lookup/service.js';
import { recordService } from './records/service.js';
import {
  ApprovalServiceService,
  DirectoryServiceService,
  EnrollmentServiceService,
  RenewalServiceService,
  SupervisionServiceService,
  LookupServiceService,
  RecordServiceService,
} from '@cctns/proto';
import { pino, type Logger } from 'pino';
import { Intake } from './alerts/intake.js';
import { DEFAULT_POLICY, loadPolicy } from './alerts/policy.js';
import type { Backbone, BackboneResponder } from './backbone/backbone.js';
import { directorySubject } from './routing/subjects.js';
import { Admission } from './alerts/admission.js';
import { Federation } from './alerts/federation.js';
import { InProcessStream } from './backbone/in-process.js';
import { NatsBackbone } from './backbone/nats.js';
import type { BrokerConfig } from './config/config.js';
import { directoryService, enrollmentService, renewalService } from './grpc/services.js';
import { approvalService } from './grpc/approvals.js';
import { Drafts } from './alerts/drafts.js';
import { STATION_LINK_SERVICE, StationSession, type LinkDeps } from './grpc/station-link.js';
import { transportRefusals } from './grpc/transport.js';
import { supervisionService } from './grpc/supervision.js';
import { Cursors } from './link/cursors.js';
import { Hub } from './link/hub.js';
import { startOpsServer } from './ops/http.js';
import { Metrics } from './ops/metrics.js';
import { Notifications } from './notify/notifications.js';
import { RateLimiter } from './ops/rate-limit.js';
import { describeStore, openBrokerStore } from './store/open.js';
import type { BrokerStore } from './store/store.js';

/** Where a running broker listens. */
export interface BrokerAddresses {
  grpc: string;
  enroll: string | null;
  http: string | null;
}

/** Options besides the configuration. */
export interface BrokerOptions {
  logger?: Logger;
  clock?: () => Date;
  /** The backbone shared with other brokers (in-process stream or NATS); default: a private one. */
  backbone?: Backbone;
}

/** How often CRL files are looked at (a changed file is read and every open link re-checked). */
const CRL_RELOAD_MS = 10_000;
/**
 * How often every open link's certificate is checked again: a certificate revoked (live in the
 * PKI's database, or by a CRL) or expired while its link is open loses the link within this time.
 */
const LINK_RECHECK_MS = 5_000;
/** Receipts may come this many times faster than alerts (one per alert received). */
const RECEIPT_RATE_FACTOR = 10;

function bind(server: Server, address: string, creds: ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(err);
      else resolve(`${address.slice(0, address.lastIndexOf(':'))}:${port}`);
    });
  });
}

function createMetrics(): Metrics {
  const m = new Metrics();
  m.counter('cctns_alerts_in_total', 'Alerts accepted into the log');
  m.counter('cctns_receipts_in_total', 'Receipts accepted into the log, by kind');
  m.counter('cctns_deliveries_total', 'Log entries pushed down station links, by kind');
  m.counter('cctns_refusals_total', 'Refused links and messages, by reason');
  m.counter('cctns_enrollments_total', 'Certificates issued over the network');
  m.counter('cctns_alerts_applied_total', "Alerts from the backbone added to this broker's log");
  m.counter('cctns_signature_checks_total', 'End-to-end signature checks made, by kind');
  m.counter(
    'cctns_signature_checks_reused_total',
    'Copies of signed bytes already verified here (own copy back from the backbone, broadcast copies), by kind',
  );
  m.counter('cctns_notifications_failed_total', 'SMS and email notifications given up, by channel');
  m.counter(
    'cctns_backbone_refusals_total',
    'Backbone messages refused (signature, scope, subject), by reason',
  );
  return m;
}

/**
 * A state broker: the mutual-TLS gRPC edge for station links, renewal and the directory; an
 * optional server-TLS enrollment port; health and metrics over HTTP; and the store.
 */
export class Broker {
  readonly metrics: Metrics;
  readonly store: BrokerStore;

  private constructor(
    readonly config: Readonly<BrokerConfig>,
    readonly addresses: BrokerAddresses,
    private readonly parts: {
      grpc: Server;
      enroll: Server | null;
      http: HttpServer | null;
      pki: Pki | null;
      store: BrokerStore;
      metrics: Metrics;
      logger: Logger;
      sessions: Set<StationSession>;
      cursors: Cursors;
      timers: NodeJS.Timeout[];
      federation: Federation;
      notifications: Notifications | null;
      audit: Audit;
      lookups: Lookups;
      directoryResponder: BackboneResponder | undefined;
      /** The national broker's audit witness for the states, and its responder. */
      witness: { keeper: AuditWitness; responder: BackboneResponder } | undefined;
      backbone: Backbone;
      /** Whether stopping the broker closes the backbone (it made it) or leaves it to its owner. */
      ownsBackbone: boolean;
    },
  ) {
    this.metrics = parts.metrics;
    this.store = parts.store;
  }

  /** Starts a broker from a validated configuration. */
  static async start(config: Readonly<BrokerConfig>, opts: BrokerOptions = {}): Promise<Broker> {
    const store = await openBrokerStore(config);
    try {
      return await Broker.startOn(store, config, opts);
    } catch (err) {
      // A MongoDB connection left open would keep the process alive after the failure.
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  private static async startOn(
    store: BrokerStore,
    config: Readonly<BrokerConfig>,
    opts: BrokerOptions,
  ): Promise<Broker> {
    const logger = (opts.logger ?? pino({ level: 'info' })).child({ broker: config.identity });
    const clock = opts.clock ?? (() => new Date());
    const id = parseIdentity(config.identity);
    if (id.kind !== 'broker') throw new Error('not a broker identity');
    const state = id.state === 'national' ? 'national' : id.state;
    const chainPem = readFileSync(config.tls.cert);
    const keyPem = readFileSync(config.tls.key);
    const rootPem = readFileSync(config.tls.root);
    logger.info({ store: describeStore(config) }, 'store opened');
    await store.resetPresence();
    const metrics = createMetrics();

    let pki: Pki | null = null;
    let ca: IssuingCa | undefined;
    let trust: TrustStore;
    const timers: NodeJS.Timeout[] = [];
    const sessions = new Set<StationSession>();
    const recheckLinks = () => {
      for (const s of [...sessions]) s.recheck();
    };
    // Every open link is checked again when a revocation is recorded (the PKI's mark moves; CRL
    // files re-check at once when read, below); in between only links whose certificate has ended
    // are: a full pass over 17,712 links every few seconds would cost the brokers a good part of
    // a core.
    let revocationMark: string | undefined;
    timers.push(
      setInterval(() => {
        const mark = pki?.store.revocationMark();
        if (mark !== revocationMark) {
          revocationMark = mark;
          return recheckLinks();
        }
        const now = clock().getTime();
        for (const s of [...sessions]) if (s.peer.notAfter.getTime() <= now) s.recheck();
      }, LINK_RECHECK_MS).unref(),
    );
    if (config.pkiDir) {
      pki = Pki.open(config.pkiDir, { logger });
      revocationMark = pki.store.revocationMark();
      ca = pki.unlockCa(state === 'national' ? 'CENTRAL' : state, config.caPassphrase ?? undefined);
      trust = pki.trustStore();
    } else {
      trust = new TrustStore({
        trustDomain: config.trustDomain,
        root: rootPem.toString(),
        cas: [
          ...pemBlocks(chainPem.toString(), 'CERTIFICATE').slice(1),
          ...config.tls.cas.map((f) => readFileSync(f, 'utf8')),
        ],
      });
      const seen = new Map<string, number>();
      const reload = () => {
        let loaded = false;
        for (const f of config.tls.crls) {
          try {
            const mtime = statSync(f).mtimeMs;
            if (seen.get(f) === mtime) continue;
            trust.addCrl(readFileSync(f));
            seen.set(f, mtime);
            loaded = true;
            logger.info({ crl: f }, 'CRL loaded');
          } catch (err) {
            logger.error({ crl: f, err: (err as Error).message }, 'CRL not loaded');
          }
        }
        if (loaded) recheckLinks();
      };
      reload();
      timers.push(setInterval(reload, CRL_RELOAD_MS).unref());
    }

    const policy = config.policy ? loadPolicy(config.policy) : DEFAULT_POLICY;
    const hub = new Hub();
    // Without a shared backbone a broker stands alone on a private in-process stream that
    // continues after its log's head.
    const backbone =
      opts.backbone ??
      (config.nats
        ? await NatsBackbone.connect({
            servers: config.nats.servers,
            stream: config.nats.stream,
            tls: { ca: config.tls.root, cert: config.tls.cert, key: config.tls.key },
            ...(config.nats.replicas > 1
              ? { streamOptions: { replicas: config.nats.replicas } }
              : {}),
            name: `${config.identity}#${config.replica}`,
            logger,
          })
        : new InProcessStream(await store.head()).connect());
    const home = state;
    const signer = new JwsSigner(
      loadPrivateKey(keyPem.toString(), undefined, 'the broker key').privateKey,
      chainPem.toString(),
    );
    const audit = new Audit({
      store,
      identity: config.identity,
      signer: () => signer,
      logger: logger.child({ component: 'audit' }),
      clock,
      checkpointFile: config.audit.checkpointFile ?? undefined,
      checkpointEntries: config.audit.checkpointEntries,
      checkpointSeconds: config.audit.checkpointSeconds,
      latestCheckpoint: async () => (await store.auditCheckpoints()).at(-1),
      // A state broker's checkpoints are witnessed by the national broker.
      witness:
        state === 'national'
          ? undefined
          : async (jws: string) => {
              const answer = witnessCodec.parseAnswer(
                await backbone.request(WITNESS_SUBJECT, new TextEncoder().encode(jws), 5_000),
              );
              if (!answer.ok) throw new BrokerError('AUDIT_WITNESS_REFUSED', answer.message);
            },
    });
    // One admission core for what stations send and what the backbone brings.
    const admission = new Admission({
      store,
      trust,
      policy,
      clock,
      maxMessageBytes: config.limits.maxMessageBytes,
      metrics,
      audit,
    });
    const federation = new Federation({
      backbone,
      admission,
      store,
      hub,
      metrics,
      logger,
      clock,
      home,
    });
    await backbone.ensureAfter(await store.head());
    await federation.start(`broker-${home}-${config.replica}`);
    const intake = new Intake({ admission, backbone, federation, metrics, logger });
    const cursors = new Cursors(store, logger);
    const witnessFile = config.audit.witnessFile ?? sqliteSibling(config.store, 'witness.db');
    let witness: { keeper: AuditWitness; responder: BackboneResponder } | undefined;
    if (state === 'national' && witnessFile) {
      const keeper = new AuditWitness(witnessFile, {
        trust,
        signer: () => signer,
        logger: logger.child({ component: 'witness' }),
        clock,
      });
      const responder = await backbone.respond(WITNESS_SUBJECT, 'witness', async (req) =>
        witnessCodec.answer(await keeper.witness(new TextDecoder().decode(req))),
      );
      witness = { keeper, responder };
    } else if (state === 'national')
      logger.warn(
        "no audit.witnessFile for a MongoDB store: the states' checkpoints are not witnessed",
      );
    const deps: LinkDeps = {
      identity: config.identity,
      audit,
      state,
      trust,
      store,
      hub,
      intake,
      metrics,
      limiter: new RateLimiter(config.limits.ratePerSecond, config.limits.burst),
      receiptLimiter: new RateLimiter(
        config.limits.ratePerSecond * RECEIPT_RATE_FACTOR,
        config.limits.burst * RECEIPT_RATE_FACTOR,
      ),
      logger,
      clock,
      sessions,
      cursors,
      maxMessageBytes: config.limits.maxMessageBytes,
    };
    metrics.gauge('cctns_connected_stations', 'Open station links', () => sessions.size);
    metrics.gauge(
      'cctns_backbone_unapplied',
      'Alerts accepted and published here whose backbone copy this broker has not applied yet',
      () => federation.unapplied(),
    );
    // The earliest end among the broker's own certificate, its issuing CA and the root.
    const certificateEnd = Math.min(
      ...[...pemBlocks(chainPem.toString(), 'CERTIFICATE'), rootPem.toString()].map(
        (p) => Date.parse(new X509Certificate(p).validTo) / 1000,
      ),
    );
    metrics.gauge(
      'cctns_certificate_expiry_timestamp_seconds',
      "Unix time the first of the broker's certificate, its issuing CA and the root ends",
      () => certificateEnd,
    );
    metrics.gauge(
      'cctns_audit_checkpoint_timestamp_seconds',
      'Unix time of the last audit checkpoint this process signed (0 before the first)',
      () => (audit.lastCheckpointAt?.getTime() ?? 0) / 1000,
    );

    const grpcOptions = {
      // The transport's own refusals (a frame beyond its limit, one that does not decode) carry a
      // reason as the broker's do.
      interceptors: [transportRefusals],
      'grpc.max_receive_message_length': Math.max(
        4 * 1024 * 1024,
        2 * config.limits.maxMessageBytes,
      ),
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.http2.min_ping_interval_without_data_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    };
    const keyCert = [{ cert_chain: chainPem, private_key: keyPem }];
    const grpc = new Server(grpcOptions);
    grpc.addService(STATION_LINK_SERVICE, {
      link: (call: Parameters<typeof StationSession.open>[0]) => StationSession.open(call, deps),
    });
    grpc.addService(RenewalServiceService, renewalService(ca, trust, logger, clock));
    grpc.addService(
      ApprovalServiceService,
      approvalService({
        home: state,
        trust,
        admission,
        drafts: new Drafts(policy.approval.maxAgeMinutes * 60_000, clock),
        audit,
        logger: logger.child({ component: 'approvals' }),
        clock,
      }),
    );
    const lookupPolicy = config.lookupPolicy
      ? loadLookupPolicy(config.lookupPolicy)
      : DEFAULT_LOOKUP_POLICY;
    const self = trust.verify(chainPem.toString(), { at: clock() });
    const lookups = new Lookups({
      home: state,
      store,
      trust,
      policy: lookupPolicy,
      backbone,
      audit,
      logger: logger.child({ component: 'lookup' }),
      clock,
      timeoutMs: config.lookupTimeoutMs,
      // The owner of a wanted, missing or stolen record hears at once who searched and why.
      onHit: async (hit) => {
        const alert = hitNotice(hit, config.identity);
        await intake.acceptAlert(self, (await signAlert(signer, alert)).jws);
      },
    });
    await lookups.start();
    // Other states' brokers ask this one for its stations' certificates (to seal records).
    const directoryResponder =
      state === 'national'
        ? undefined
        : await backbone.respond(directorySubject(state), `directory-${state}`, async (req) => {
            const identity = new TextDecoder().decode(req).slice(0, 100);
            return new TextEncoder().encode((await store.stationCertificate(identity)) ?? '');
          });
    grpc.addService(LookupServiceService, lookups.service());
    grpc.addService(
      RecordServiceService,
      recordService({ home: state, store, trust, audit, policy: lookupPolicy, logger, clock }),
    );
    grpc.addService(
      DirectoryServiceService,
      directoryService({
        store,
        trust,
        logger,
        clock,
        state,
        remoteCertificate: async (other, identity) => {
          try {
            const bytes = await backbone.request(
              directorySubject(other),
              new TextEncoder().encode(identity),
              config.lookupTimeoutMs,
            );
            return bytes.length ? new TextDecoder().decode(bytes) : undefined;
          } catch (err) {
            logger.warn(
              { err: (err as Error).message, identity },
              'certificate not found over the backbone',
            );
            return undefined;
          }
        },
      }),
    );
    // Notifications run where the stations are: a state broker escalates for its own stations.
    const notifications =
      config.notify && state !== 'national'
        ? Notifications.create({
            config: config.notify,
            store,
            state,
            logger,
            clock,
            onFailed: (channel) => metrics.inc('cctns_notifications_failed_total', { channel }),
          })
        : null;
    grpc.addService(
      SupervisionServiceService,
      supervisionService({ home: state, trust, store, hub, metrics, logger, clock, notifications }),
    );
    const grpcAddress = await bind(
      grpc,
      config.listen,
      ServerCredentials.createSsl(rootPem, keyCert, true),
    );

    let enroll: Server | null = null;
    let enrollAddress: string | null = null;
    if (config.enrollListen) {
      enroll = new Server(grpcOptions);
      enroll.addService(EnrollmentServiceService, enrollmentService(ca, logger, metrics));
      enrollAddress = await bind(
        enroll,
        config.enrollListen,
        ServerCredentials.createSsl(null, keyCert, false),
      );
    }

    notifications?.start(config.notify!.tickSeconds);
    audit.start(config.audit.checkpointSeconds * 1000);
    let http: HttpServer | null = null;
    let httpAddress: string | null = null;
    if (config.httpListen) {
      const ops = await startOpsServer(
        config.httpListen,
        metrics,
        () => ({
          identity: config.identity,
          connectedStations: sessions.size,
          backbone: backbone.status(),
        }),
        {
          ...(notifications?.routes ?? {}),
          // What the witness keeps of the states' checkpoints (hashes only), for overseers.
          ...(witness
            ? {
                '/audit/witnessed': (req, res) => {
                  const log = new URL(req.url ?? '/', 'http://x').searchParams.get('log');
                  res.writeHead(200, { 'content-type': 'application/json' }).end(
                    JSON.stringify({
                      witness: config.identity,
                      checkpoints: witness.keeper.list(log ?? undefined),
                    }),
                  );
                },
              }
            : {}),
          // Signed checkpoints of the audit head are public: hashes only, for overseers.
          '/audit/checkpoints': (_req, res) => {
            void store.auditCheckpoints().then(
              (checkpoints) =>
                res
                  .writeHead(200, { 'content-type': 'application/json' })
                  .end(JSON.stringify({ log: config.identity, checkpoints })),
              () => res.writeHead(500).end(),
            );
          },
        },
      );
      http = ops.server;
      httpAddress = ops.address;
    }

    const broker = new Broker(
      config,
      { grpc: grpcAddress, enroll: enrollAddress, http: httpAddress },
      {
        grpc,
        enroll,
        http,
        pki,
        store,
        metrics,
        logger,
        sessions,
        cursors,
        timers,
        federation,
        notifications,
        audit,
        lookups,
        directoryResponder,
        witness,
        backbone,
        ownsBackbone: !opts.backbone,
      },
    );
    logger.info(
      { grpc: grpcAddress, enroll: enrollAddress, http: httpAddress },
      'broker listening',
    );
    return broker;
  }

  /** The broker's notifications (dispatcher, escalator), when configured. */
  get audit(): Audit {
    return this.parts.audit;
  }

  /** The broker's notifications (dispatcher, escalator), when configured. */
  get notifications(): Notifications | null {
    return this.parts.notifications;
  }

  /** Identities of the stations linked right now. */
  connectedStations(): string[] {
    return [...this.parts.sessions].map((s) => s.peer.identityString).sort();
  }

  /** Stops accepting, ends every link, and closes the store. */
  async stop(): Promise<void> {
    for (const t of this.parts.timers) clearInterval(t);
    for (const s of [...this.parts.sessions]) s.end();
    const shutdown = (server: Server | null) =>
      server
        ? new Promise<void>((resolve) => {
            const force = setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, 2000);
            server.tryShutdown(() => {
              clearTimeout(force);
              resolve();
            });
          })
        : Promise.resolve();
    await Promise.all([shutdown(this.parts.grpc), shutdown(this.parts.enroll)]);
    await new Promise<void>((resolve) =>
      this.parts.http ? this.parts.http.close(() => resolve()) : resolve(),
    );
    await this.parts.notifications?.stop();
    await this.parts.lookups.stop();
    await this.parts.directoryResponder?.stop();
    await this.parts.witness?.responder.stop();
    await this.parts.audit.stop();
    this.parts.witness?.keeper.close();
    await this.parts.federation.stop();
    await this.parts.cursors.flush();
    if (this.parts.ownsBackbone) await this.parts.backbone.close();
    await this.parts.store.close();
    this.parts.pki?.close();
    this.parts.logger.info('broker stopped');
  }
}

/** A file beside the embedded store's database, or null for a MongoDB store. */
function sqliteSibling(store: string, name: string): string | null {
  return store.startsWith('sqlite:') ? join(dirname(store.slice('sqlite:'.length)), name) : null;
}
