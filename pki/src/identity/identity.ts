import { PkiError } from '../errors.js';
import { isStateCode, type StateCode } from './states.js';

/** A parsed identity. Every identity string in the system goes through `parseIdentity`. */
export type Identity =
  | { kind: 'station'; state: StateCode; district: string; station: string }
  | { kind: 'broker'; state: StateCode | 'national' }
  | { kind: 'agency'; agency: string; unit: string }
  | { kind: 'hq'; state: StateCode | 'national'; operator: string };

/** The kind of an identity, which is also its certificate profile. */
export type IdentityKind = Identity['kind'];

/** Name of an issuing CA: a State/UT code, or CENTRAL for agencies and national identities. */
export type CaName = StateCode | 'CENTRAL';

/** Longest identity string accepted (it is also the certificate's common name, at most 64). */
export const MAX_IDENTITY_LENGTH = 64;

const CODE_SEGMENT = /^[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$/;
const OPERATOR_SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,30}[A-Za-z0-9])?$/;
const TRUST_DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Quotes untrusted text for an error message: JSON escaping plus the DEL and C1 controls
 * (U+007F-U+009F) JSON leaves raw, so hostile input cannot drive a terminal.
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function invalid(input: string, why: string): PkiError {
  return new PkiError('IDENTITY_INVALID', `invalid identity ${quote(input)}: ${why}`);
}

function stateOf(input: string, segment: string, allowNational: boolean): StateCode | 'national' {
  if (allowNational && segment === 'national') return 'national';
  if (isStateCode(segment)) return segment;
  if (/^[A-Z]{2}$/.test(segment)) {
    throw new PkiError(
      'STATE_UNKNOWN',
      `unknown State/UT code ${quote(segment)} in identity ${quote(input)}`,
    );
  }
  throw invalid(
    input,
    `${quote(segment)} is not a State/UT code${allowNational ? " or 'national'" : ''}`,
  );
}

function codeSegment(input: string, segment: string, what: string): string {
  if (!CODE_SEGMENT.test(segment)) {
    throw invalid(input, `${what} must be 1-32 characters of A-Z, 0-9 and inner hyphens`);
  }
  return segment;
}

/**
 * Parses an identity path strictly: `station/<STATE>/<DISTRICT>/<STATION>`, `broker/<STATE|national>`,
 * `agency/<AGENCY>/<UNIT>` or `hq/<STATE|national>/<operator>`. Throws IDENTITY_INVALID or STATE_UNKNOWN.
 */
export function parseIdentity(input: string): Identity {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'empty');
  if (input.length > MAX_IDENTITY_LENGTH)
    throw invalid(input.slice(0, 80), `longer than ${MAX_IDENTITY_LENGTH} characters`);
  const parts = input.split('/');
  const [kind, ...rest] = parts;
  switch (kind) {
    case 'station': {
      if (rest.length !== 3) throw invalid(input, 'expected station/<STATE>/<DISTRICT>/<STATION>');
      const state = stateOf(input, rest[0]!, false) as StateCode;
      return {
        kind,
        state,
        district: codeSegment(input, rest[1]!, 'district'),
        station: codeSegment(input, rest[2]!, 'station'),
      };
    }
    case 'broker': {
      if (rest.length !== 1) throw invalid(input, 'expected broker/<STATE> or broker/national');
      return { kind, state: stateOf(input, rest[0]!, true) };
    }
    case 'agency': {
      if (rest.length !== 2) throw invalid(input, 'expected agency/<AGENCY>/<UNIT>');
      return {
        kind,
        agency: codeSegment(input, rest[0]!, 'agency'),
        unit: codeSegment(input, rest[1]!, 'unit'),
      };
    }
    case 'hq': {
      if (rest.length !== 2) throw invalid(input, 'expected hq/<STATE|national>/<operator>');
      const operator = rest[1]!;
      if (!OPERATOR_SEGMENT.test(operator)) {
        throw invalid(
          input,
          'operator must be 1-32 characters of letters, digits, and inner . _ -',
        );
      }
      return { kind, state: stateOf(input, rest[0]!, true), operator };
    }
    default:
      throw invalid(input, 'must start with station/, broker/, agency/ or hq/');
  }
}

/** Formats a parsed identity back to its canonical string. */
export function formatIdentity(id: Identity): string {
  switch (id.kind) {
    case 'station':
      return `station/${id.state}/${id.district}/${id.station}`;
    case 'broker':
      return `broker/${id.state}`;
    case 'agency':
      return `agency/${id.agency}/${id.unit}`;
    case 'hq':
      return `hq/${id.state}/${id.operator}`;
  }
}

/** The State/UT an identity belongs to, or undefined for agencies and national identities. */
export function stateOfIdentity(id: Identity): StateCode | undefined {
  if (id.kind === 'agency') return undefined;
  return id.state === 'national' ? undefined : id.state;
}

/** The only CA allowed to issue for an identity: its state's CA, or CENTRAL. */
export function issuerFor(id: Identity): CaName {
  return stateOfIdentity(id) ?? 'CENTRAL';
}

/** Parses a CA name (`MH`, `CENTRAL`); throws CA_NAME_INVALID. */
export function parseCaName(name: string): CaName {
  if (name === 'CENTRAL' || isStateCode(name)) return name;
  throw new PkiError(
    'CA_NAME_INVALID',
    `invalid CA name ${quote(name)}: use a State/UT code (MH, KA, DL, ...) or CENTRAL`,
  );
}

/** Validates a trust domain (DNS-style, lower case), e.g. `cctns.local`. */
export function parseTrustDomain(td: string): string {
  if (!TRUST_DOMAIN.test(td)) {
    throw new PkiError(
      'TRUST_DOMAIN_INVALID',
      `invalid trust domain ${quote(td)}: use a lower-case DNS name such as cctns.local`,
    );
  }
  return td;
}

/** The URI SAN for an identity: `spiffe://<trust-domain>/<identity>`. */
export function identityUri(trustDomain: string, id: Identity | string): string {
  return `spiffe://${trustDomain}/${typeof id === 'string' ? id : formatIdentity(id)}`;
}

/** The URI SAN a CA certificate carries: `spiffe://<trust-domain>/ca/<NAME>` (or `ca/root`). */
export function caUri(trustDomain: string, name: CaName | 'root'): string {
  return `spiffe://${trustDomain}/ca/${name}`;
}

/** Splits a spiffe URI into trust domain and path; throws IDENTITY_INVALID when it is not one. */
export function parseSpiffeUri(uri: string): { trustDomain: string; path: string } {
  const m = /^spiffe:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m)
    throw new PkiError(
      'IDENTITY_INVALID',
      `not a spiffe identity URI: ${quote(uri.slice(0, 120))}`,
    );
  return { trustDomain: parseTrustDomain(m[1]!), path: m[2]! };
}
