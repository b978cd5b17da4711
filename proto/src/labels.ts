/** A generated enum object (names to numbers and back). */
export type ProtoEnum = Record<string, string | number>;

/**
 * The lower-case name of an enum value without its prefix, as people and files spell it:
 * `enumLabel(Severity, 'SEVERITY_', 1)` → `extreme`; `unknown` for a value the enum lacks.
 */
export function enumLabel(e: ProtoEnum, prefix: string, value: number): string {
  const key = Object.keys(e).find((k) => e[k] === value && k.startsWith(prefix));
  return key ? key.slice(prefix.length).toLowerCase() : 'unknown';
}
