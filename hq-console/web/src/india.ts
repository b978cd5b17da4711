// The 36 States and Union Territories (ISO 3166-2:IN, 2023 revision) and where each sits on the
// console's tile map: one square per State/UT at its approximate place, north at the top.

/** Code, name and tile position (column, row) of each State/UT. */
export const REGIONS = [
  { code: 'JK', name: 'Jammu and Kashmir', col: 1, row: 0 },
  { code: 'LA', name: 'Ladakh', col: 2, row: 0 },
  { code: 'PB', name: 'Punjab', col: 1, row: 1 },
  { code: 'CH', name: 'Chandigarh', col: 2, row: 1 },
  { code: 'HP', name: 'Himachal Pradesh', col: 3, row: 1 },
  { code: 'HR', name: 'Haryana', col: 2, row: 2 },
  { code: 'UK', name: 'Uttarakhand', col: 3, row: 2 },
  { code: 'SK', name: 'Sikkim', col: 5, row: 2 },
  { code: 'AR', name: 'Arunachal Pradesh', col: 8, row: 2 },
  { code: 'RJ', name: 'Rajasthan', col: 1, row: 3 },
  { code: 'DL', name: 'Delhi', col: 2, row: 3 },
  { code: 'UP', name: 'Uttar Pradesh', col: 3, row: 3 },
  { code: 'BR', name: 'Bihar', col: 4, row: 3 },
  { code: 'WB', name: 'West Bengal', col: 5, row: 3 },
  { code: 'ML', name: 'Meghalaya', col: 6, row: 3 },
  { code: 'AS', name: 'Assam', col: 7, row: 3 },
  { code: 'NL', name: 'Nagaland', col: 8, row: 3 },
  { code: 'GJ', name: 'Gujarat', col: 1, row: 4 },
  { code: 'MP', name: 'Madhya Pradesh', col: 2, row: 4 },
  { code: 'CG', name: 'Chhattisgarh', col: 3, row: 4 },
  { code: 'JH', name: 'Jharkhand', col: 4, row: 4 },
  { code: 'TR', name: 'Tripura', col: 7, row: 4 },
  { code: 'MN', name: 'Manipur', col: 8, row: 4 },
  { code: 'DH', name: 'Dadra and Nagar Haveli and Daman and Diu', col: 1, row: 5 },
  { code: 'MH', name: 'Maharashtra', col: 2, row: 5 },
  { code: 'TS', name: 'Telangana', col: 3, row: 5 },
  { code: 'OD', name: 'Odisha', col: 4, row: 5 },
  { code: 'MZ', name: 'Mizoram', col: 7, row: 5 },
  { code: 'GA', name: 'Goa', col: 1, row: 6 },
  { code: 'KA', name: 'Karnataka', col: 2, row: 6 },
  { code: 'AP', name: 'Andhra Pradesh', col: 3, row: 6 },
  { code: 'LD', name: 'Lakshadweep', col: 0, row: 7 },
  { code: 'KL', name: 'Kerala', col: 2, row: 7 },
  { code: 'TN', name: 'Tamil Nadu', col: 3, row: 7 },
  { code: 'PY', name: 'Puducherry', col: 4, row: 7 },
  { code: 'AN', name: 'Andaman and Nicobar Islands', col: 6, row: 7 },
] as const;

/** The State/UT codes, alphabetically. */
export const STATE_CODES: readonly string[] = REGIONS.map((r) => r.code).sort();

/** A State/UT's name from its code (the code itself if unknown). */
export function stateName(code: string): string {
  return REGIONS.find((r) => r.code === code)?.name ?? code;
}

/** `Maharashtra (MH)`: a State/UT's name with its code. */
export function stateLabel(code: string): string {
  const name = stateName(code);
  return name === code ? code : `${name} (${code})`;
}
