import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateRsaKeyPair,
  loadPrivateKey,
  privateKeyToPem,
  publicKeyToPem,
  readTextFile,
  writePublicFile,
  writeSecretFile,
  type KeyPair,
} from './keys.js';

const PASS = 'a-long-enough-passphrase';

let dir: string;
let keys: KeyPair;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-keys-'));
  keys = await generateRsaKeyPair(2048);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('generateRsaKeyPair', () => {
  it('makes an RSA key of the requested size', () => {
    expect(keys.privateKey.asymmetricKeyType).toBe('rsa');
    expect(keys.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it.each([1024, 2047, 8193, 2048.5])('refuses %d bits (INPUT_INVALID)', async (bits) => {
    await expect(generateRsaKeyPair(bits)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('private key PEM', () => {
  it('encrypts with a passphrase and loads back the same key', () => {
    const pem = privateKeyToPem(keys.privateKey, PASS);
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const loaded = loadPrivateKey(pem, PASS, 'test key');
    expect(loaded.publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('writes plain PKCS#8 without a passphrase', () => {
    const pem = privateKeyToPem(keys.privateKey);
    expect(pem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(loadPrivateKey(pem, undefined, 'test key').publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('refuses the wrong passphrase (PASSPHRASE_WRONG) and names the key', () => {
    const pem = privateKeyToPem(keys.privateKey, PASS);
    expect(() => loadPrivateKey(pem, 'not-the-passphrase', 'the key of CA MH')).toThrow(
      expect.objectContaining({
        code: 'PASSPHRASE_WRONG',
        message: expect.stringContaining('the key of CA MH'),
      }),
    );
  });

  it('refuses an encrypted key without a passphrase (PASSPHRASE_MISSING)', () => {
    const pem = privateKeyToPem(keys.privateKey, PASS);
    expect(() => loadPrivateKey(pem, undefined, 'k')).toThrow(
      expect.objectContaining({ code: 'PASSPHRASE_MISSING' }),
    );
  });

  it('refuses text that is not a private key (INPUT_INVALID)', () => {
    expect(() => loadPrivateKey(publicKeyToPem(keys.publicKey), undefined, 'k')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
    expect(() => loadPrivateKey('garbage', undefined, 'k')).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});

describe('files', () => {
  it('writes a secret with mode 0600', () => {
    const path = join(dir, 'secret.pem');
    writeSecretFile(path, 'secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('secret');
  });

  it('refuses to overwrite a secret (ALREADY_EXISTS) and keeps the old content', () => {
    const path = join(dir, 'kept.pem');
    writeSecretFile(path, 'first');
    expect(() => writeSecretFile(path, 'second')).toThrow(
      expect.objectContaining({ code: 'ALREADY_EXISTS' }),
    );
    expect(readFileSync(path, 'utf8')).toBe('first');
  });

  it('overwrites on request and fixes a too-open mode', () => {
    const path = join(dir, 'open.pem');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeSecretFile(path, 'new', { overwrite: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('writes a public file readable by all', () => {
    const path = join(dir, 'public.pem');
    writePublicFile(path, 'cert');
    expect(statSync(path).mode & 0o444).toBe(0o444);
    expect(statSync(path).mode & 0o022).toBe(0);
  });

  it('refuses to read a missing file (FILE_NOT_FOUND)', () => {
    expect(() => readTextFile(join(dir, 'missing.pem'), 'the CSR')).toThrow(
      expect.objectContaining({
        code: 'FILE_NOT_FOUND',
        message: expect.stringContaining('the CSR'),
      }),
    );
  });
});
