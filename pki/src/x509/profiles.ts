import type { IdentityKind } from '../identity/identity.js';

/** Certificate profiles: the two CA levels and one per identity kind. */
export type Profile = 'root' | 'ca' | IdentityKind;

/** OIDs of the extended key usages the profiles use. */
export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** What a leaf profile must carry. Leaves sign (JWS, TLS) and receive sealed records (key encipherment). */
export interface LeafProfile {
  serverAuth: boolean;
  clientAuth: true;
  digitalSignature: true;
  keyEncipherment: true;
  /** Whether DNS/IP SANs are allowed (servers only). */
  networkNames: boolean;
}

/** Leaf profiles by identity kind. */
export const LEAF_PROFILES: Record<IdentityKind, LeafProfile> = {
  station: {
    serverAuth: false,
    clientAuth: true,
    digitalSignature: true,
    keyEncipherment: true,
    networkNames: false,
  },
  agency: {
    serverAuth: false,
    clientAuth: true,
    digitalSignature: true,
    keyEncipherment: true,
    networkNames: false,
  },
  hq: {
    serverAuth: false,
    clientAuth: true,
    digitalSignature: true,
    keyEncipherment: true,
    networkNames: false,
  },
  broker: {
    serverAuth: true,
    clientAuth: true,
    digitalSignature: true,
    keyEncipherment: true,
    networkNames: true,
  },
};

/** Default lifetimes in days: root 10 years, issuing CA 5 years, leaves 90 days. */
export const DEFAULT_LIFETIME_DAYS = { root: 3650, ca: 1825, leaf: 90 } as const;

/** Fraction of a leaf's lifetime after which renewal is recommended. */
export const RENEW_AT_FRACTION = 2 / 3;

/** When a certificate valid over [notBefore, notAfter] should be renewed. */
export function renewalDue(notBefore: Date, notAfter: Date): Date {
  return new Date(
    notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * RENEW_AT_FRACTION,
  );
}
