import { readFileSync } from 'node:fs';
import { BrokerError } from '../errors.js';

/** Reads a JSON data file (policy, contacts, escalation), refusing with CONFIG_INVALID naming it. */
export function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BrokerError(
      'CONFIG_INVALID',
      `cannot read ${what} ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
