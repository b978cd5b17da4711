import { isIP } from 'node:net';
import { generateRsaKeyPair, privateKeyToPem } from '../keys/keys.js';
import { buildCertificate, newSerial } from './certificate.js';

/**
 * A self-signed HTTPS certificate for a web server on a developer's machine (the embedded
 * network's console): serverAuth, the host names and addresses as SANs, no network identity.
 * A real deployment uses a certificate its browsers already trust.
 */
export async function selfSignedWebCertificate(args: {
  hosts: string[];
  days?: number;
  now?: Date;
}): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateRsaKeyPair(2048);
  const now = args.now ?? new Date();
  const { pem } = buildCertificate(
    {
      profile: 'broker',
      serial: newSerial(),
      commonName: args.hosts[0] ?? 'localhost',
      organization: 'CCTNS local network',
      organizationalUnit: 'HQ console (self-signed, development only)',
      publicKey: keys.publicKey,
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + (args.days ?? 365) * 86_400_000),
      uris: [],
      dnsNames: args.hosts.filter((h) => !isIP(h)),
      ipAddresses: args.hosts.filter((h) => isIP(h)),
    },
    keys.privateKey,
  );
  return { certPem: pem, keyPem: privateKeyToPem(keys.privateKey) };
}
