import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { isPkiError, parseIdentity, type IssuingCa, type TrustStore } from '@cctns/pki';
import type {
  CertificateResponse,
  EnrollRequest,
  CertificateChain,
  GetCertificateRequest,
  ListStationsRequest,
  ListStationsResponse,
  RenewRequest,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { listenKeys } from '../routing/targets.js';
import { BrokerError } from '../errors.js';
import type { Metrics } from '../ops/metrics.js';
import type { BrokerStore } from '../store/store.js';
import { authenticate } from './auth.js';
import { unary } from './status.js';

function caRefusal(err: unknown): unknown {
  // The CA's own code (TOKEN_REUSED, CSR_INVALID, ...) leads the message so clients can act on it.
  if (isPkiError(err))
    return new BrokerError('ENROLL_REFUSED', `${err.code}: ${err.message}`, { cause: err });
  return err;
}

function certificateResponse(issued: Awaited<ReturnType<IssuingCa['issue']>>): CertificateResponse {
  return {
    chainPem: issued.chainPem,
    serial: issued.serial,
    notAfter: issued.notAfter,
    renewAfter: issued.renewAfter,
  };
}

/** Enrollment over server-side TLS: a one-time token and a CSR buy a certificate. */
export function enrollmentService(
  ca: IssuingCa | undefined,
  logger: Logger,
  metrics: Metrics,
): UntypedServiceImplementation {
  return {
    enroll: unary<EnrollRequest, CertificateResponse>(logger, async (call) => {
      if (!ca)
        throw new BrokerError('ENROLL_UNAVAILABLE', 'this broker does not run network enrollment');
      try {
        const issued = await ca.issue({ csrPem: call.request.csrPem, token: call.request.token });
        metrics.inc('cctns_enrollments_total');
        logger.info({ identity: issued.identity, serial: issued.serial }, 'station enrolled');
        return certificateResponse(issued);
      } catch (err) {
        metrics.inc('cctns_refusals_total', { reason: 'ENROLL_REFUSED' });
        throw caRefusal(err);
      }
    }),
  };
}

/** Renewal over mutual TLS: the caller renews the certificate it connected with. */
export function renewalService(
  ca: IssuingCa | undefined,
  trust: TrustStore,
  logger: Logger,
  clock: () => Date,
): UntypedServiceImplementation {
  return {
    renew: unary<RenewRequest, CertificateResponse>(logger, async (call) => {
      const peer = authenticate(call, trust, { at: clock() });
      if (!ca) throw new BrokerError('ENROLL_UNAVAILABLE', 'this broker does not run renewal');
      try {
        const issued = await ca.renew({ csrPem: call.request.csrPem, proof: call.request.proof });
        if (issued.identity !== peer.identityString)
          throw new BrokerError('IDENTITY_FORBIDDEN', 'a link may only renew its own certificate');
        logger.info({ identity: issued.identity, serial: issued.serial }, 'certificate renewed');
        return certificateResponse(issued);
      } catch (err) {
        throw caRefusal(err);
      }
    }),
  };
}

/** The station directory: who exists, who is online, how far behind. */
export function directoryService(deps: {
  store: BrokerStore;
  trust: TrustStore;
  logger: Logger;
  clock: () => Date;
  state: string;
  /** Another state's station certificates, asked over the backbone. */
  remoteCertificate?: (state: string, identity: string) => Promise<string | undefined>;
}): UntypedServiceImplementation {
  return {
    getCertificate: unary<GetCertificateRequest, CertificateChain>(deps.logger, async (call) => {
      authenticate(call, deps.trust, { at: deps.clock() });
      const identity = call.request.identity;
      let id;
      try {
        id = parseIdentity(identity);
      } catch (err) {
        throw new BrokerError('FIELD_INVALID', `identity: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (id.kind !== 'station')
        throw new BrokerError('FIELD_INVALID', 'only stations have certificates in the directory');
      const chainPem =
        id.state === deps.state
          ? await deps.store.stationCertificate(identity)
          : await deps.remoteCertificate?.(id.state, identity);
      if (!chainPem)
        throw new BrokerError(
          'RECIPIENT_UNKNOWN',
          `${identity} is not known to its state's broker (it never linked, or its broker did not answer)`,
        );
      return { identity, chainPem };
    }),
    listStations: unary<ListStationsRequest, ListStationsResponse>(deps.logger, async (call) => {
      authenticate(call, deps.trust, { at: deps.clock() });
      const { state, district, onlineOnly } = call.request;
      if (state && state !== deps.state) return { stations: [] };
      const prefix = `station/${deps.state}/${district ? `${district}/` : ''}`;
      const now = deps.clock();
      const records = (await deps.store.stations(prefix)).filter((s) => !onlineOnly || s.online);
      const stations = [];
      for (const s of records) {
        const keys = listenKeys(parseIdentity(s.identity));
        stations.push({
          identity: s.identity,
          online: s.online,
          lastSeen: s.lastSeen ?? undefined,
          cursor: s.cursor,
          backlog: await deps.store.countFor(keys, s.cursor, now),
          certNotAfter: s.certNotAfter ?? undefined,
        });
      }
      return { stations };
    }),
  };
}
