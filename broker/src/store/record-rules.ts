import { BrokerError } from '../errors.js';
import type { NewRecord } from './store.js';

/** What a store found for a put: the record the put would change, if any. */
export interface CurrentRecord {
  id: string;
  kind: string;
  owner: string;
  version: number;
}

/**
 * The rules of `BrokerStore.putRecord`, the same for every store: a put by id needs that record
 * of that kind; an external reference never turns one kind of record into another; only the
 * owner changes a record, and a change by id must name the version it read. Returns the version
 * the put writes (1 for a new record).
 */
export function checkRecordPut(current: CurrentRecord | undefined, r: NewRecord): number {
  if (r.id && (!current || current.kind !== r.kind))
    throw new BrokerError('RECORD_UNKNOWN', `no ${r.kind} record ${r.id}`);
  if (!current) return 1;
  // A legacy system may number persons and vehicles alike.
  if (!r.id && current.kind !== r.kind)
    throw new BrokerError(
      'FIELD_INVALID',
      `externalRef ${r.externalRef} is already used by ${current.id}, a ${current.kind} record`,
    );
  if (current.owner !== r.owner)
    throw new BrokerError(
      'RECORD_FORBIDDEN',
      `${current.id} belongs to ${current.owner}; only it may change the record`,
    );
  if (r.id && r.expectedVersion !== current.version)
    throw new BrokerError(
      'RECORD_CONFLICT',
      `${current.id} is at version ${current.version}, not ${r.expectedVersion ?? 'unknown'}`,
    );
  return current.version + 1;
}
