import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { PkiError } from '../errors.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Key sizes used by default: root 4096, issuing CAs 3072, leaves 2048 (RSA). */
export const DEFAULT_KEY_BITS = { root: 4096, ca: 3072, leaf: 2048 } as const;

/** Smallest RSA modulus accepted in a CSR or certificate. */
export const MIN_RSA_BITS = 2048;

/** A private key with its public half, both imported once as KeyObjects. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates an RSA key pair (off the event loop). */
export async function generateRsaKeyPair(bits: number = DEFAULT_KEY_BITS.leaf): Promise<KeyPair> {
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192) {
    throw new PkiError(
      'INPUT_INVALID',
      `RSA key size must be an integer from ${MIN_RSA_BITS} to 8192, not ${bits}`,
    );
  }
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

/** Generates the ES256 (P-256) key a CA's provisioner signs enrollment tokens with. */
export async function generateProvisionerKeyPair(): Promise<KeyPair> {
  return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
}

/** PKCS#8 PEM of a private key, encrypted (AES-256-CBC, PBKDF2) when a passphrase is given. */
export function privateKeyToPem(key: KeyObject, passphrase?: string): string {
  if (passphrase === undefined) return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

/** SubjectPublicKeyInfo PEM of a public key. */
export function publicKeyToPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * Loads a PEM private key, decrypting it with `passphrase` when it is encrypted.
 * Throws PASSPHRASE_MISSING / PASSPHRASE_WRONG / INPUT_INVALID with `what` in the message.
 */
export function loadPrivateKey(pem: string, passphrase: string | undefined, what: string): KeyPair {
  const encrypted = pem.includes('ENCRYPTED PRIVATE KEY');
  if (encrypted && passphrase === undefined) {
    throw new PkiError('PASSPHRASE_MISSING', `${what} is encrypted and no passphrase was given`);
  }
  try {
    const privateKey = createPrivateKey(
      encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' },
    );
    return { privateKey, publicKey: createPublicKey(privateKey) };
  } catch (cause) {
    if (encrypted)
      throw new PkiError('PASSPHRASE_WRONG', `the passphrase does not open ${what}`, { cause });
    throw new PkiError('INPUT_INVALID', `${what} is not a readable PEM private key`, { cause });
  }
}

/**
 * Writes a secret (a private key) with mode 0600, atomically: a reader never sees a partial key
 * and the mode is right even when the file already existed with another.
 */
export function writeSecretFile(
  path: string,
  data: string,
  options: { overwrite?: boolean } = {},
): void {
  if (!options.overwrite && existsSync(path)) {
    throw new PkiError('ALREADY_EXISTS', `${path} already exists; refusing to overwrite a key`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Writes a public file (certificate, CSR, CRL) with mode 0644, atomically. */
export function writePublicFile(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Reads a text file or throws FILE_NOT_FOUND naming what it was for. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PkiError('FILE_NOT_FOUND', `cannot read ${what} at ${path}`, { cause });
  }
}
