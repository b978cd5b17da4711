/**
 * The 36 States and Union Territories of India with their ISO 3166-2:IN codes (2023 revision:
 * CG, OD, TS, UK replaced CT, OR, TG, UT; DH is Dadra and Nagar Haveli and Daman and Diu).
 */
export const STATES = {
  AN: 'Andaman and Nicobar Islands',
  AP: 'Andhra Pradesh',
  AR: 'Arunachal Pradesh',
  AS: 'Assam',
  BR: 'Bihar',
  CH: 'Chandigarh',
  CG: 'Chhattisgarh',
  DH: 'Dadra and Nagar Haveli and Daman and Diu',
  DL: 'Delhi',
  GA: 'Goa',
  GJ: 'Gujarat',
  HR: 'Haryana',
  HP: 'Himachal Pradesh',
  JK: 'Jammu and Kashmir',
  JH: 'Jharkhand',
  KA: 'Karnataka',
  KL: 'Kerala',
  LA: 'Ladakh',
  LD: 'Lakshadweep',
  MP: 'Madhya Pradesh',
  MH: 'Maharashtra',
  MN: 'Manipur',
  ML: 'Meghalaya',
  MZ: 'Mizoram',
  NL: 'Nagaland',
  OD: 'Odisha',
  PY: 'Puducherry',
  PB: 'Punjab',
  RJ: 'Rajasthan',
  SK: 'Sikkim',
  TN: 'Tamil Nadu',
  TS: 'Telangana',
  TR: 'Tripura',
  UP: 'Uttar Pradesh',
  UK: 'Uttarakhand',
  WB: 'West Bengal',
} as const;

/** A State/UT code such as `MH`. */
export type StateCode = keyof typeof STATES;

/** All 36 State/UT codes. */
export const STATE_CODES = Object.keys(STATES) as StateCode[];

/** True when `code` is one of the 36 State/UT codes (exact, upper case). */
export function isStateCode(code: string): code is StateCode {
  return Object.prototype.hasOwnProperty.call(STATES, code);
}
