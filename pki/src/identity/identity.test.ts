import { describe, it, expect } from 'vitest';
import {
  MAX_IDENTITY_LENGTH,
  caUri,
  formatIdentity,
  identityUri,
  issuerFor,
  parseCaName,
  parseIdentity,
  parseSpiffeUri,
  parseTrustDomain,
  stateOfIdentity,
  quote,
} from './identity.js';
import { PkiError } from '../errors.js';

/** Runs `f` and returns the PkiError it throws (fails the test when it does not throw one). */
function thrown(f: () => unknown): PkiError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PkiError);
    return err as PkiError;
  }
  throw new Error('expected a PkiError, nothing was thrown');
}

describe('parseIdentity accepts every kind', () => {
  it('parses a station', () => {
    expect(parseIdentity('station/MH/PUNE/PS042')).toEqual({
      kind: 'station',
      state: 'MH',
      district: 'PUNE',
      station: 'PS042',
    });
  });

  it('parses a state broker', () => {
    expect(parseIdentity('broker/MH')).toEqual({ kind: 'broker', state: 'MH' });
  });

  it('parses the national broker', () => {
    expect(parseIdentity('broker/national')).toEqual({ kind: 'broker', state: 'national' });
  });

  it('parses an agency unit', () => {
    expect(parseIdentity('agency/CBI/DELHI-HQ')).toEqual({
      kind: 'agency',
      agency: 'CBI',
      unit: 'DELHI-HQ',
    });
  });

  it('parses a national HQ operator', () => {
    expect(parseIdentity('hq/national/duty1')).toEqual({
      kind: 'hq',
      state: 'national',
      operator: 'duty1',
    });
  });

  it('parses a state HQ operator', () => {
    expect(parseIdentity('hq/MH/console')).toEqual({
      kind: 'hq',
      state: 'MH',
      operator: 'console',
    });
  });

  it('accepts operators with inner dots, underscores and hyphens', () => {
    expect(parseIdentity('hq/KA/duty.officer_2-b')).toEqual({
      kind: 'hq',
      state: 'KA',
      operator: 'duty.officer_2-b',
    });
  });

  it.each([
    'station/MH/PUNE/PS042',
    'broker/MH',
    'broker/national',
    'agency/CBI/DELHI-HQ',
    'hq/national/duty1',
    'hq/MH/console',
  ])('round-trips %s through formatIdentity', (s) => {
    expect(formatIdentity(parseIdentity(s))).toBe(s);
  });

  it(`accepts an identity of exactly ${MAX_IDENTITY_LENGTH} characters`, () => {
    const id = `station/MH/${'D'.repeat(26)}/${'S'.repeat(26)}`;
    expect(id).toHaveLength(MAX_IDENTITY_LENGTH);
    expect(parseIdentity(id).kind).toBe('station');
  });
});

describe('parseIdentity refuses malformed identities', () => {
  it('refuses the empty string', () => {
    expect(() => parseIdentity('')).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID' }));
  });

  it('refuses an unknown kind', () => {
    expect(() => parseIdentity('police/MH/PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it.each([
    'station/MH/PUNE',
    'station/MH/PUNE/PS1/X',
    'broker',
    'broker/MH/PUNE',
    'agency/CBI',
    'agency/CBI/A/B',
    'hq/MH',
    'hq/MH/a/b',
  ])('refuses the wrong segment count in %s', (s) => {
    expect(() => parseIdentity(s)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID' }));
  });

  it('refuses a lower-case district', () => {
    expect(() => parseIdentity('station/MH/pune/PS042')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses a lower-case state code as malformed, not as unknown', () => {
    expect(() => parseIdentity('station/mh/PUNE/PS042')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses an unknown state code XX with STATE_UNKNOWN', () => {
    expect(() => parseIdentity('station/XX/PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'STATE_UNKNOWN' }),
    );
    expect(() => parseIdentity('broker/XX')).toThrow(
      expect.objectContaining({ code: 'STATE_UNKNOWN' }),
    );
    expect(() => parseIdentity('hq/XX/op')).toThrow(
      expect.objectContaining({ code: 'STATE_UNKNOWN' }),
    );
  });

  it('refuses a national station', () => {
    expect(() => parseIdentity('station/national/PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses Object.prototype names as state codes', () => {
    expect(() => parseIdentity('broker/constructor')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it(`refuses an identity longer than ${MAX_IDENTITY_LENGTH} characters`, () => {
    const id = `station/MH/${'D'.repeat(27)}/${'S'.repeat(26)}`;
    expect(id).toHaveLength(MAX_IDENTITY_LENGTH + 1);
    const err = thrown(() => parseIdentity(id));
    expect(err.code).toBe('IDENTITY_INVALID');
    expect(err.message).toContain(`longer than ${MAX_IDENTITY_LENGTH}`);
  });

  it.each(['station/MH/PUNE/PS042/', 'broker/MH/', 'agency/CBI/HQ/', 'hq/MH/console/'])(
    'refuses the trailing slash in %s',
    (s) => {
      expect(() => parseIdentity(s)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID' }));
    },
  );

  it('refuses a leading slash and empty segments', () => {
    expect(() => parseIdentity('/station/MH/PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
    expect(() => parseIdentity('station/MH//PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it.each([
    ['newline', 'station/MH/PUNE/PS\n42'],
    ['NUL', 'hq/MH/op\u0000'],
    ['tab', 'agency/CBI/\tHQ'],
    ['escape', 'broker/\u001bMH'],
  ])('refuses C0 control characters (%s) and keeps them out of the message', (_name, s) => {
    const err = thrown(() => parseIdentity(s));
    expect(err.code).toBe('IDENTITY_INVALID');
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it.each([
    ['DEL', 'station/MH/PUNE/PS\u007f1'],
    ['C1 CSI', 'station/MH/PUNE/PS\u009b1'],
    ['zero-width space', 'station/MH/PUNE/PS\u200b1'],
  ])('refuses other invisible characters (%s)', (_name, s) => {
    expect(() => parseIdentity(s)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID' }));
  });

  it('refuses segments with leading or trailing hyphens and spaces', () => {
    expect(() => parseIdentity('station/MH/-PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
    expect(() => parseIdentity('station/MH/PUNE/PS1-')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
    expect(() => parseIdentity('station/MH/PUNE/PS 1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
    expect(() => parseIdentity('hq/MH/.op')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses a non-string input', () => {
    expect(() => parseIdentity(undefined as unknown as string)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });
});

describe('issuerFor and stateOfIdentity', () => {
  it('sends an MH station to the MH CA', () => {
    expect(issuerFor(parseIdentity('station/MH/PUNE/PS042'))).toBe('MH');
  });

  it('sends a state HQ operator and a state broker to their state CA', () => {
    expect(issuerFor(parseIdentity('hq/MH/console'))).toBe('MH');
    expect(issuerFor(parseIdentity('broker/KA'))).toBe('KA');
  });

  it('sends an agency to CENTRAL', () => {
    expect(issuerFor(parseIdentity('agency/CBI/DELHI-HQ'))).toBe('CENTRAL');
  });

  it('sends the national broker to CENTRAL', () => {
    expect(issuerFor(parseIdentity('broker/national'))).toBe('CENTRAL');
  });

  it('sends a national HQ operator to CENTRAL', () => {
    expect(issuerFor(parseIdentity('hq/national/x'))).toBe('CENTRAL');
  });

  it('gives no state for agencies and national identities', () => {
    expect(stateOfIdentity(parseIdentity('agency/CBI/DELHI-HQ'))).toBeUndefined();
    expect(stateOfIdentity(parseIdentity('hq/national/x'))).toBeUndefined();
    expect(stateOfIdentity(parseIdentity('station/TN/CHENNAI/PS7'))).toBe('TN');
  });
});

describe('CA names and trust domains', () => {
  it('accepts CENTRAL and a state code as CA names', () => {
    expect(parseCaName('CENTRAL')).toBe('CENTRAL');
    expect(parseCaName('MH')).toBe('MH');
  });

  it.each(['XX', 'central', 'mh', 'root', '', 'toString'])(
    'refuses %j as a CA name with CA_NAME_INVALID',
    (name) => {
      expect(() => parseCaName(name)).toThrow(expect.objectContaining({ code: 'CA_NAME_INVALID' }));
    },
  );

  it('accepts a lower-case DNS trust domain', () => {
    expect(parseTrustDomain('cctns.local')).toBe('cctns.local');
    expect(parseTrustDomain('police.gov.in')).toBe('police.gov.in');
  });

  it.each(['Bad_Domain', 'CCTNS.local', '', '-cctns.local', 'cctns..local', 'cctns.local.'])(
    'refuses the trust domain %j',
    (td) => {
      expect(() => parseTrustDomain(td)).toThrow(
        expect.objectContaining({ code: 'TRUST_DOMAIN_INVALID' }),
      );
    },
  );
});

describe('spiffe URIs', () => {
  it('builds identity and CA URIs', () => {
    expect(identityUri('cctns.local', 'station/MH/PUNE/PS042')).toBe(
      'spiffe://cctns.local/station/MH/PUNE/PS042',
    );
    expect(identityUri('cctns.local', parseIdentity('broker/national'))).toBe(
      'spiffe://cctns.local/broker/national',
    );
    expect(caUri('cctns.local', 'MH')).toBe('spiffe://cctns.local/ca/MH');
    expect(caUri('cctns.local', 'root')).toBe('spiffe://cctns.local/ca/root');
  });

  it('splits a spiffe URI into trust domain and path', () => {
    expect(parseSpiffeUri('spiffe://cctns.local/station/MH/PUNE/PS042')).toEqual({
      trustDomain: 'cctns.local',
      path: 'station/MH/PUNE/PS042',
    });
  });

  it('refuses a URI that is not spiffe', () => {
    expect(() => parseSpiffeUri('https://cctns.local/station/MH/PUNE/PS1')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
    expect(() => parseSpiffeUri('spiffe://cctns.local')).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('refuses a spiffe URI with a malformed trust domain', () => {
    expect(() => parseSpiffeUri('spiffe://Bad_Domain/broker/MH')).toThrow(
      expect.objectContaining({ code: 'TRUST_DOMAIN_INVALID' }),
    );
  });
});

describe('quote', () => {
  it('escapes DEL and C1 control characters that JSON leaves raw', () => {
    const q = quote('PU\u009bNE\u007f');
    expect(q).toBe('"PU\\u009bNE\\u007f"');
    expect(q).not.toMatch(/[\u007f-\u009f]/);
  });

  it('keeps C1 controls out of identity error messages', () => {
    expect(() => parseIdentity('station/MH/PU\u009bNE/PS1')).toThrow(/PU\\u009bNE/);
  });
});
