import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { REASON_METADATA_KEY } from './status.js';
import { withTransportReason } from './transport.js';

const reason = (m: Metadata | null | undefined) => m?.get(REASON_METADATA_KEY)[0]?.toString();

describe('withTransportReason', () => {
  it('gives a frame beyond the transport limit the reason TOO_LARGE', () => {
    const s = withTransportReason({
      code: status.RESOURCE_EXHAUSTED,
      details: 'Received message larger than max (5242880 vs 4194304)',
      metadata: null,
    });
    expect(s.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(reason(s.metadata)).toBe('TOO_LARGE');
    expect(s.details).toBe('TOO_LARGE: Received message larger than max (5242880 vs 4194304)');
  });

  it('makes a request that does not deserialize INVALID_ARGUMENT / MALFORMED, not INTERNAL', () => {
    const s = withTransportReason({
      code: status.INTERNAL,
      details: 'Error deserializing request',
      metadata: null,
    });
    expect(s.code).toBe(status.INVALID_ARGUMENT);
    expect(reason(s.metadata)).toBe('MALFORMED');
  });

  it("leaves the broker's own refusals and its internal errors as they are", () => {
    const own = new Metadata();
    own.set(REASON_METADATA_KEY, 'INTERNAL');
    const internal = { code: status.INTERNAL, details: 'INTERNAL: internal error', metadata: own };
    expect(withTransportReason(internal)).toBe(internal);
    const unknown = { code: status.INTERNAL, details: 'something else', metadata: null };
    expect(withTransportReason(unknown)).toBe(unknown);
    const ok = { code: status.OK, details: 'OK', metadata: null };
    expect(withTransportReason(ok)).toBe(ok);
  });

  it('keeps the metadata already there', () => {
    const m = new Metadata();
    m.set('x-other', '1');
    const s = withTransportReason({
      code: status.RESOURCE_EXHAUSTED,
      details: 'Received message that decompresses to a size larger than 4194304',
      metadata: m,
    });
    expect(s.metadata?.get('x-other')).toEqual(['1']);
    expect(reason(s.metadata)).toBe('TOO_LARGE');
    expect(m.get(REASON_METADATA_KEY)).toEqual([]);
  });
});
