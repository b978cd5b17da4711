import type { ServerWritableStream } from '@grpc/grpc-js';
import { stateOfIdentity, type TrustStore } from '@cctns/pki';
import type { Delivery, SuperviseRequest } from '@cctns/proto';
import type { Logger } from 'pino';
import { BrokerError } from '../errors.js';
import type { Hub } from '../link/hub.js';
import { deliveryOf, LogPump, writeWithBackpressure } from '../link/pump.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore } from '../store/store.js';
import { authenticate } from './auth.js';
import { toServiceError } from './status.js';

/**
 * The supervision stream: an HQ identity of this broker's home (a console) follows every entry of
 * the log — alerts and receipts — from its cursor, then live. Only `hq/*` certificates of the
 * broker's own state (or national, at the national broker) may open it.
 */
export function supervisionService(deps: {
  home: string;
  trust: TrustStore;
  store: BrokerStore;
  hub: Hub;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
}) {
  return {
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
        call.on('cancelled', () => {
          pump.stop();
          unsubscribe?.();
        });
        call.on('close', () => {
          pump.stop();
          unsubscribe?.();
        });
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
