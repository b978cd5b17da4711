import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { parseIdentity, stateOfIdentity, type TrustStore } from '@cctns/pki';
import {
  Record as RecordMsg,
  type GetRecordRequest,
  type PutRecordRequest,
  type PutRecordResponse,
} from '@cctns/proto';
import type { Logger } from 'pino';
import { actorOf, type Audit } from '../audit/audit.js';
import { BrokerError } from '../errors.js';
import { authenticate } from '../grpc/auth.js';
import { unary } from '../grpc/status.js';
import { checkLookup, type LookupPolicy } from '../lookup/policy.js';
import type { BrokerStore } from '../store/store.js';
import { recordKeys } from './keys.js';
import { nameData } from './prepared.js';
import { isRecordId, validateRecord } from './validate.js';

/** Status, gender and age a record is filtered by in the store. */
function selectors(r: RecordMsg): { status: number; gender: number; age: number } {
  const k = r.kind!;
  if (k.$case === 'person')
    return { status: k.value.status, gender: k.value.gender, age: k.value.age };
  return { status: k.value.status, gender: 0, age: 0 };
}

/**
 * Records at a state broker: a station adds and changes its own records (the owner is the
 * certificate, never the message), and reads one by id with a stated purpose. Every change and
 * every read is audited.
 */
export function recordService(deps: {
  home: string;
  store: BrokerStore;
  trust: TrustStore;
  audit: Audit;
  policy: LookupPolicy;
  logger: Logger;
  clock: () => Date;
}): UntypedServiceImplementation {
  const stationOfHome = (
    call: Parameters<typeof authenticate>[0],
    kinds: Array<'station' | 'hq'>,
  ) => {
    const peer = authenticate(call, deps.trust, { at: deps.clock(), kinds });
    if ((stateOfIdentity(peer.identity) ?? 'national') !== deps.home)
      throw new BrokerError(
        'IDENTITY_FORBIDDEN',
        `${peer.identityString} keeps its records at its own state's broker, not broker/${deps.home}`,
      );
    return peer;
  };
  return {
    put: unary<PutRecordRequest, PutRecordResponse>(deps.logger, async (call) => {
      const peer = stationOfHome(call, ['station']);
      const record = call.request.record;
      try {
        if (!record) throw new BrokerError('FIELD_INVALID', 'record is required');
        const kind = validateRecord(record);
        const id = parseIdentity(peer.identityString);
        const district = id.kind === 'station' ? id.district : '';
        const now = deps.clock();
        const names = nameData(record);
        const res = await deps.store.putRecord({
          ...(record.id ? { id: record.id, expectedVersion: record.version } : {}),
          kind,
          owner: peer.identityString,
          district,
          ...(record.externalRef ? { externalRef: record.externalRef } : {}),
          ...selectors(record),
          keys: recordKeys(record),
          ...(names !== undefined ? { names } : {}),
          encode: (rid, version, at) =>
            RecordMsg.encode({
              ...record,
              id: rid,
              owner: peer.identityString,
              version,
              updatedAt: at,
            }).finish(),
          at: now,
          state: deps.home,
        });
        await deps.audit.record({
          ...actorOf(peer),
          action: res.created ? 'record.add' : 'record.update',
          outcome: 'ok',
          subject: res.id,
          details: { version: res.version },
        });
        return res;
      } catch (err) {
        await deps.audit.tryRecord({
          ...actorOf(peer),
          action: record?.id ? 'record.update' : 'record.add',
          outcome: 'refused',
          ...(record?.id && isRecordId(record.id) ? { subject: record.id } : {}),
          code: err instanceof BrokerError ? err.code : 'INTERNAL',
          message: err instanceof Error ? err.message.slice(0, 300) : String(err),
        });
        throw err;
      }
    }),
    get: unary<GetRecordRequest, RecordMsg>(deps.logger, async (call) => {
      const peer = stationOfHome(call, ['station', 'hq']);
      const { id, purpose } = call.request;
      try {
        if (!isRecordId(id))
          throw new BrokerError('FIELD_INVALID', 'id is not a record id (person:MH-12)');
        const stored = await deps.store.getRecord(id);
        if (!stored) throw new BrokerError('RECORD_UNKNOWN', `no record ${id}`);
        // The owner reads its own record freely; anyone else says why, as for a lookup.
        if (stored.owner !== peer.identityString)
          checkLookup(deps.policy, peer.identityString, {
            kind: stored.kind,
            state: deps.home,
            ...(purpose ? { purpose } : {}),
          });
        await deps.audit.record({
          ...actorOf(peer),
          action: 'record.disclosed',
          outcome: 'ok',
          subject: id,
          ...(purpose?.reference ? { purpose } : {}),
        });
        return RecordMsg.decode(stored.body);
      } catch (err) {
        await deps.audit.tryRecord({
          ...actorOf(peer),
          action: 'record.disclosed',
          outcome: 'refused',
          ...(isRecordId(id) ? { subject: id } : {}),
          code: err instanceof BrokerError ? err.code : 'INTERNAL',
        });
        throw err;
      }
    }),
  };
}
