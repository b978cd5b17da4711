import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import {
  canonicalJson,
  stateOfIdentity,
  verifyAuditChain,
  type AuditEntry,
  type TrustStore,
} from '@cctns/pki';
import type {
  AuditPage,
  AuditQuery,
  ContactsDocument,
  Delivery,
  GetContactsRequest,
  ListEscalationsRequest,
  ListEscalationsResponse,
  ListNotificationsRequest,
  ListNotificationsResponse,
  SuperviseRequest,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { BrokerError } from '../errors.js';
import type { Hub } from '../link/hub.js';
import { deliveryOf, LogPump, writeWithBackpressure } from '../link/pump.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore } from '../store/store.js';
import { authenticate } from './auth.js';
import { toServiceError, unary } from './status.js';
import type { Notifications } from '../notify/notifications.js';

/** How often an open supervision stream carries a heartbeat (a delivery without an item, seq 0). */
export const SUPERVISION_HEARTBEAT_MS = 15_000;

/**
 * The supervision stream: an HQ identity of this broker's home (a console) follows every entry of
 * the log — alerts and receipts — from its cursor, then live. Only `hq/*` certificates of the
 * broker's own state (or national, at the national broker) may open it. The stream's headers go
 * out as soon as it is authorised and a heartbeat every `heartbeatMs`, so the follower knows the
 * link works on a quiet network too.
 */
export function supervisionService(deps: {
  home: string;
  notifications?: Notifications | null;
  trust: TrustStore;
  store: BrokerStore;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  heartbeatMs?: number;
}) {
  /** HQ of this broker's home, or national HQ (which supervises every state). */
  const hqOf = (call: Parameters<typeof authenticate>[0]) => {
    const peer = authenticate(call, deps.trust, { at: deps.clock(), kinds: ['hq'] });
    const home = stateOfIdentity(peer.identity) ?? 'national';
    if (home !== deps.home && home !== 'national')
      throw new BrokerError(
        'IDENTITY_FORBIDDEN',
        `${peer.identityString} may not supervise broker/${deps.home}`,
      );
    return peer;
  };
  const notifications = () => {
    if (!deps.notifications)
      throw new BrokerError(
        'NOTIFY_UNAVAILABLE',
        `broker/${deps.home} has no notifications configured`,
      );
    return deps.notifications;
  };
  return {
    listNotifications: unary<ListNotificationsRequest, ListNotificationsResponse>(
      deps.logger,
      async (call) => {
        hqOf(call);
        const limit = call.request.limit || 500;
        if (limit > 5000) throw new BrokerError('FIELD_INVALID', 'limit must be at most 5000');
        const rows = await deps.store.notifications(
          call.request.alertId ? { alertId: call.request.alertId } : {},
        );
        return {
          notifications: rows.slice(-limit).map((n) => ({
            key: n.key,
            alertId: n.alertId,
            station: n.station,
            contactId: n.contactId,
            channel: n.channel,
            to: n.to,
            state: n.state,
            attempts: n.attempts,
            lastError: n.lastError ?? '',
            createdAt: n.createdAt,
            updatedAt: n.updatedAt,
          })),
        };
      },
    ),
    listEscalations: unary<ListEscalationsRequest, ListEscalationsResponse>(
      deps.logger,
      async (call) => {
        hqOf(call);
        if (call.request.alertId.length > 128)
          throw new BrokerError('FIELD_INVALID', 'alert id too long');
        const steps = await notifications().escalator.upcoming(call.request.alertId);
        return {
          steps: steps.map((s) => ({
            alertId: s.alertId,
            station: s.station,
            chain: s.chain,
            step: s.step,
            dueAt: s.dueAt,
            level: s.level,
            roles: s.roles,
            channels: s.channels,
            recipients: s.recipients,
          })),
        };
      },
    ),
    getContacts: unary<GetContactsRequest, ContactsDocument>(deps.logger, async (call) => {
      hqOf(call);
      return { json: JSON.stringify(notifications().contacts()) };
    }),
    putContacts: unary<ContactsDocument, ContactsDocument>(deps.logger, async (call) => {
      const peer = hqOf(call);
      let doc: unknown;
      try {
        doc = JSON.parse(call.request.json);
      } catch (cause) {
        throw new BrokerError('MALFORMED', 'the contact directory is not JSON', { cause });
      }
      let next;
      try {
        next = notifications().replaceContacts(doc);
      } catch (err) {
        // The file's validation names the bad entry; to the caller it is a field error.
        if (err instanceof BrokerError && err.code === 'CONFIG_INVALID')
          throw new BrokerError('FIELD_INVALID', err.message, { cause: err });
        throw err;
      }
      deps.logger.info(
        { by: peer.identityString, contacts: next.contacts.length },
        'contact directory replaced',
      );
      return { json: JSON.stringify(next) };
    }),
    queryAudit: unary<AuditQuery, AuditPage>(deps.logger, async (call) => {
      const peer = hqOf(call);
      const q = call.request;
      const limit = q.limit || 200;
      if (limit > 5000) throw new BrokerError('FIELD_INVALID', 'limit must be at most 5000');
      for (const [f, v] of [
        ['subject', q.subject],
        ['actor', q.actor],
        ['action', q.action],
      ] as const)
        if (v.length > 200) throw new BrokerError('FIELD_INVALID', `${f} is too long`);
      const prefix = q.action.endsWith('.') ? q.action : '';
      const entries = await deps.store.findAudit({
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action && !prefix ? { action: q.action } : {}),
        ...(prefix ? { actionPrefix: prefix } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        limit: 10_000_000,
      });
      const head = await deps.store.auditHead();
      const page: AuditPage = {
        // The latest first, at most `limit`.
        entries: entries
          .slice(-limit)
          .reverse()
          .map((e) => ({ seq: e.seq, hash: e.hash, bodyJson: canonicalJson(e.body) })),
        headSeq: head.seq,
        headHash: head.hash,
        verified: false,
        problems: [],
        checkpoints: (await deps.store.auditCheckpoints()).length,
      };
      if (q.verify) {
        const all: AuditEntry[] = [];
        for (let after = 0; ;) {
          const batch = await deps.store.auditEntries(after, 10_000);
          if (batch.length === 0) break;
          all.push(...batch);
          after = batch.at(-1)!.seq;
        }
        const report = verifyAuditChain(all);
        page.verified = report.ok;
        page.problems = report.problems.map((p) => p.message);
      }
      deps.logger.info({ by: peer.identityString, verify: q.verify }, 'audit queried');
      return page;
    }),
    supervise: (call: ServerWritableStream<SuperviseRequest, Delivery>) => {
      let unsubscribe: (() => void) | undefined;
      try {
        const peer = authenticate(call, deps.trust, { at: deps.clock(), kinds: ['hq'] });
        if ((stateOfIdentity(peer.identity) ?? 'national') !== deps.home) {
          throw new BrokerError(
            'IDENTITY_FORBIDDEN',
            `${peer.identityString} may not supervise broker/${deps.home}`,
          );
        }
        const log = deps.logger.child({ supervisor: peer.identityString });
        const pump = new LogPump(
          call.request.cursor,
          (after, limit) => deps.store.entriesAfter(after, limit),
          (e) => writeWithBackpressure(call, deliveryOf(e)),
          (err) => call.emit('error', toServiceError(err, log)),
        );
        unsubscribe = deps.hub.subscribeAll(pump);
        call.sendMetadata(new Metadata());
        const heartbeat = setInterval(() => {
          // Skipped while entries wait to drain: they show the link works already.
          if (!call.writableNeedDrain) call.write({ seq: 0, item: undefined });
        }, deps.heartbeatMs ?? SUPERVISION_HEARTBEAT_MS);
        heartbeat.unref();
        const end = () => {
          clearInterval(heartbeat);
          pump.stop();
          unsubscribe?.();
        };
        call.on('cancelled', end);
        call.on('close', end);
        log.info({ cursor: call.request.cursor }, 'supervision stream open');
        pump.wake();
      } catch (err) {
        unsubscribe?.();
        deps.metrics.inc('cctns_refusals_total', {
          reason: err instanceof BrokerError ? err.code : 'INTERNAL',
        });
        call.emit('error', toServiceError(err, deps.logger));
      }
    },
  };
}
