import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  createCsr,
  generateRsaKeyPair,
  parseIdentity,
  privateKeyToPem,
  TrustStore,
  writePublicFile,
  writeSecretFile,
} from '@cctns/pki';
import { EnrollmentServiceClient, type CertificateResponse } from '@cctns/proto';
import { decodeJwt } from 'jose';
import { AGENT_FILES, writeAgentConfig, type AgentConfig } from './agent.js';
import { AgentError } from './errors.js';
import { brokerIdentityCheck, channelOptions } from './link/link-client.js';

/**
 * Enrolls a station over the network with only a one-time token: makes the key here (0600),
 * sends a CSR to the broker's enrollment port (server TLS, broker checked against the root), and
 * writes the certificate, the root and `agent.json`.
 */
export async function enroll(args: {
  dir: string;
  broker: string;
  enrollAddress: string;
  token: string;
  rootPem: string;
  keyBits?: number;
}): Promise<AgentConfig & CertificateResponse> {
  if (existsSync(join(args.dir, AGENT_FILES.key)))
    throw new AgentError(
      'ALREADY_ENROLLED',
      `${args.dir} already holds a station key; use another --dir`,
    );
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(args.token.trim());
  } catch (cause) {
    throw new AgentError('INPUT_INVALID', 'the token is not an enrollment token', { cause });
  }
  const identity = String(claims.sub ?? '');
  parseIdentity(identity);
  // The token's audience names the trust domain: cctns:<trust-domain>:enroll:<CA>.
  const aud = String(Array.isArray(claims.aud) ? claims.aud[0] : (claims.aud ?? ''));
  const trustDomain = aud.split(':')[1] ?? 'cctns.local';
  const trust = new TrustStore({ trustDomain, root: args.rootPem });
  const keys = await generateRsaKeyPair(args.keyBits ?? 2048);
  const csrPem = createCsr(identity, trustDomain, keys);
  const creds = credentials.createSsl(Buffer.from(args.rootPem), null, null, {
    checkServerIdentity: brokerIdentityCheck(trust),
  });
  await probeBroker(args.enrollAddress, args.rootPem, brokerIdentityCheck(trust));
  const client = new EnrollmentServiceClient(
    args.enrollAddress,
    creds,
    channelOptions(args.enrollAddress),
  );
  let res: CertificateResponse;
  try {
    res = await new Promise<CertificateResponse>((resolve, reject) => {
      client.waitForReady(Date.now() + 10_000, (err) => {
        if (err)
          return reject(
            new AgentError(
              'BROKER_UNREACHABLE',
              `cannot reach the enrollment service at ${args.enrollAddress}: ${err.message}`,
              { cause: err },
            ),
          );
        client.enroll(
          { token: args.token.trim(), csrPem },
          (e: ServiceError | null, r?: CertificateResponse) => {
            if (!e) return resolve(r!);
            if (/not a broker|CHAIN_INVALID|certificate/i.test(e.details) && e.code === 14)
              return reject(new AgentError('BROKER_UNTRUSTED', e.details, { cause: e }));
            reject(new AgentError('ENROLL_FAILED', e.details, { cause: e }));
          },
        );
      });
    });
  } finally {
    client.close();
  }
  mkdirSync(args.dir, { recursive: true, mode: 0o700 });
  writeSecretFile(join(args.dir, AGENT_FILES.key), privateKeyToPem(keys.privateKey));
  writePublicFile(join(args.dir, AGENT_FILES.cert), res.chainPem);
  writePublicFile(join(args.dir, AGENT_FILES.root), args.rootPem);
  const config: AgentConfig = { identity, trustDomain, broker: args.broker };
  writeAgentConfig(args.dir, config);
  return { ...config, ...res };
}

/**
 * Opens one TLS connection to the broker before any gRPC, so that an officer learns *why* it
 * fails: nothing listening (BROKER_UNREACHABLE) or a server that is not a broker of this PKI
 * (BROKER_UNTRUSTED), instead of a generic deadline.
 */
export function probeBroker(
  address: string,
  rootPem: string,
  check: ReturnType<typeof brokerIdentityCheck>,
  timeoutMs = 10_000,
): Promise<void> {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(address.slice(idx + 1)),
      ca: rootPem,
      servername: 'broker.cctns',
      ALPNProtocols: ['h2'],
      checkServerIdentity: check as never,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new AgentError(
          'BROKER_UNREACHABLE',
          `no answer from ${address} within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (
        err.code === 'ECONNREFUSED' ||
        err.code === 'ENOTFOUND' ||
        err.code === 'EHOSTUNREACH' ||
        err.code === 'ETIMEDOUT'
      ) {
        reject(
          new AgentError('BROKER_UNREACHABLE', `cannot reach ${address}: ${err.code}`, {
            cause: err,
          }),
        );
      } else {
        reject(
          new AgentError(
            'BROKER_UNTRUSTED',
            `the server at ${address} is not a broker of this PKI: ${err.message}`,
            { cause: err },
          ),
        );
      }
    });
  });
}
