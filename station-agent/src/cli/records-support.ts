// What `cctns query` and `cctns agent record` share: the caller's credentials, the broker's
// refusals as CLI errors, the purpose of a lookup, enum names and one-line record summaries.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { certificateUris, parseSpiffeUri, readTextFile } from '@cctns/pki';
import { when } from '@cctns/pki/cli';
import {
  CaseStatus,
  Gender,
  PersonStatus,
  Record as RecordMsg,
  VehicleRecordStatus,
  type Purpose,
} from '@cctns/proto';
import { AGENT_FILES, type AgentConfig } from '../agent.js';
import { AgentError } from '../errors.js';
import { RecordsClient, type ClientCredentials } from '../query/client.js';

/** Reason codes of the broker's default lookup policy (a deployment's policy may differ). */
export const DEFAULT_REASONS = [
  'investigation',
  'arrest',
  'missing-person',
  'stolen-vehicle',
  'verification',
  'intelligence',
  'court-order',
] as const;

/** The trailer in which a broker names its refusal (`REASON_METADATA_KEY` in the broker). */
const REASON_KEY = 'cctns-reason';

/** Exit codes by gRPC status, the rule the broker's refusal catalogue follows. */
const EXIT_BY_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 3,
  [status.PERMISSION_DENIED]: 4,
  [status.FAILED_PRECONDITION]: 4,
  [status.RESOURCE_EXHAUSTED]: 4,
  [status.NOT_FOUND]: 5,
  [status.UNAVAILABLE]: 5,
  [status.DEADLINE_EXCEEDED]: 5,
  [status.UNAUTHENTICATED]: 6,
  [status.DATA_LOSS]: 8,
  [status.ALREADY_EXISTS]: 9,
  [status.ABORTED]: 9,
};
/** The broker's refusals whose exit code is not the one of their gRPC status. */
const EXIT_BY_REASON: Record<string, number> = {
  TOO_LARGE: 3,
  PROTOCOL: 3,
  CONFIG_INVALID: 3,
  HOST_CHECK_FAILED: 6,
  BACKBONE_BEHIND: 9,
};

/** The CLI exit code of a broker refusal (the same as in the broker's catalogue). */
export function refusalExit(reason: string, grpcStatus: number): number {
  return EXIT_BY_REASON[reason] ?? EXIT_BY_STATUS[grpcStatus as status] ?? 1;
}

/**
 * A refusal by the broker, as the CLI reports it: the broker's reason code (`GRANT_DENIED`,
 * `RECORD_CONFLICT`, ...) and its exit code, so `error[CODE]` reads the same as in the broker's
 * audit and README.
 */
export class BrokerRefusal extends Error {
  override readonly name = 'BrokerRefusal';

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    (err as Partial<ServiceError>).metadata !== undefined
  );
}

/**
 * Maps an error of a records or lookup call to the CLI's: a refusal with its `cctns-reason`
 * becomes a BrokerRefusal with that code; a broker that cannot be reached or is not a broker of
 * this PKI becomes BROKER_UNREACHABLE or BROKER_UNTRUSTED; anything else passes unchanged.
 */
export function refusalOf(err: unknown, broker: string): unknown {
  if (!isServiceError(err)) return err;
  const reason = err.metadata.get(REASON_KEY)[0]?.toString();
  const details = err.details || err.message;
  if (reason) {
    const message = details.startsWith(`${reason}: `) ? details.slice(reason.length + 2) : details;
    return new BrokerRefusal(reason, message, refusalExit(reason, err.code), { cause: err });
  }
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
    // The TLS check of the server's certificate fails the connection like a refused port does.
    if (/certificate|not a broker|expected broker|CHAIN_|CERT_|self.signed/i.test(details))
      return new AgentError(
        'BROKER_UNTRUSTED',
        `the server at ${broker} is not the expected broker of this PKI: ${details}`,
        { cause: err },
      );
    return new AgentError(
      'BROKER_UNREACHABLE',
      `cannot reach the broker at ${broker}: ${details}`,
      {
        cause: err,
      },
    );
  }
  return new BrokerRefusal(
    'INTERNAL',
    `the broker at ${broker} failed the call (${status[err.code] ?? err.code}): ${details}`,
    1,
    { cause: err },
  );
}

/** Opens a client, runs `fn`, closes it; the broker's refusals come out as CLI errors. */
export async function withRecordsClient<T>(
  creds: ClientCredentials,
  fn: (client: RecordsClient) => Promise<T>,
): Promise<T> {
  const client = new RecordsClient(creds);
  try {
    return await fn(client);
  } catch (err) {
    throw refusalOf(err, creds.broker);
  } finally {
    client.close();
  }
}

/** The station's own certificate and broker, from its agent directory (as `agent enroll` wrote it). */
export function agentCredentials(dir: string): ClientCredentials {
  const file = (name: string) => join(dir, name);
  if (!existsSync(file(AGENT_FILES.config)) || !existsSync(file(AGENT_FILES.cert)))
    throw new AgentError(
      'NOT_ENROLLED',
      `no enrolled station in ${dir} (run \`cctns agent enroll\`)`,
    );
  const config = JSON.parse(readFileSync(file(AGENT_FILES.config), 'utf8')) as AgentConfig;
  return {
    identity: config.identity,
    trustDomain: config.trustDomain,
    broker: config.broker,
    keyPem: readFileSync(file(AGENT_FILES.key)),
    chainPem: readFileSync(file(AGENT_FILES.cert)),
    rootPem: readFileSync(file(AGENT_FILES.root)),
  };
}

/**
 * An agency's (or anyone's) client certificate files. The identity and trust domain are the
 * certificate's own; `--identity` and `--trust-domain`, when given, must agree with it.
 */
export function fileCredentials(opts: {
  cert: string;
  key?: string;
  root?: string;
  broker?: string;
  identity?: string;
  trustDomain?: string;
}): ClientCredentials {
  const missing = (['key', 'root', 'broker'] as const).filter((k) => !opts[k]);
  if (missing.length)
    throw new AgentError(
      'INPUT_INVALID',
      `with --cert, give also ${missing.map((k) => `--${k}`).join(', ')}`,
    );
  const chainPem = readTextFile(opts.cert, 'the certificate');
  let spiffe: { trustDomain: string; path: string } | undefined;
  try {
    const uri = certificateUris(new X509Certificate(chainPem)).find((u) =>
      u.startsWith('spiffe://'),
    );
    spiffe = uri ? parseSpiffeUri(uri) : undefined;
  } catch (cause) {
    throw new AgentError('INPUT_INVALID', `${opts.cert} is not a certificate of this PKI`, {
      cause,
    });
  }
  if (!spiffe) throw new AgentError('INPUT_INVALID', `${opts.cert} names no identity`);
  for (const [flag, given, own] of [
    ['--identity', opts.identity, spiffe.path],
    ['--trust-domain', opts.trustDomain, spiffe.trustDomain],
  ] as const)
    if (given && given !== own)
      throw new AgentError('INPUT_INVALID', `${flag} ${given}: the certificate is for ${own}`);
  return {
    identity: spiffe.path,
    trustDomain: spiffe.trustDomain,
    broker: opts.broker!,
    keyPem: readTextFile(opts.key!, 'the key'),
    chainPem,
    rootPem: readTextFile(opts.root!, 'the root certificate'),
  };
}

/**
 * The purpose of a lookup or a read from `--purpose-ref` and `--reason`. Both or neither; when
 * `required`, refused here with the broker's own code (PURPOSE_REQUIRED) before anything is signed.
 */
export function purposeOf(
  opts: { purposeRef?: string; reason?: string },
  required: boolean,
): Purpose | undefined {
  const reference = opts.purposeRef?.trim() ?? '';
  const reason = opts.reason?.trim() ?? '';
  if (!reference && !reason && !required) return undefined;
  if (!reference || !reason)
    throw new BrokerRefusal(
      'PURPOSE_REQUIRED',
      `a lookup must state its purpose: --purpose-ref (the FIR or case it serves, e.g. "FIR 77/2026 PS Swargate") and --reason (${DEFAULT_REASONS.join(', ')})`,
      3,
    );
  return { reference, reason };
}

type Enum = Record<string, string | number>;

/** The names of an enum as flags and files give them: lower case, `-` for `_`, no prefix. */
export function enumNames(e: Enum, prefix: string): string[] {
  return Object.keys(e)
    .filter((k) => k.startsWith(prefix) && !k.endsWith('_UNSPECIFIED'))
    .map((k) => k.slice(prefix.length).toLowerCase().replace(/_/g, '-'));
}

/** The name of an enum value (`proclaimed-offender`), or '' when unspecified. */
export function enumName(e: Enum, prefix: string, value: number): string {
  if (!value) return '';
  const key = Object.keys(e).find((k) => e[k] === value && k.startsWith(prefix));
  return key ? key.slice(prefix.length).toLowerCase().replace(/_/g, '-') : String(value);
}

/** Parses an enum name (any case, `-`, `_` or space); '' is unspecified (0). */
export function parseEnumName(e: Enum, prefix: string, name: string, field: string): number {
  const n = name.trim();
  if (!n) return 0;
  const v = e[`${prefix}${n.toUpperCase().replace(/[- ]/g, '_')}`];
  if (typeof v !== 'number' || v <= 0)
    throw new AgentError(
      'INPUT_INVALID',
      `${field}: ${JSON.stringify(n)} is not one of ${enumNames(e, prefix).join(', ')}`,
    );
  return v;
}

/** Person, vehicle and case statuses with their enum prefixes. */
export const STATUS_ENUMS = {
  person: [PersonStatus, 'PERSON_STATUS_'],
  vehicle: [VehicleRecordStatus, 'VEHICLE_RECORD_STATUS_'],
  case: [CaseStatus, 'CASE_STATUS_'],
} as const satisfies Record<string, readonly [Enum, string]>;

/** A record's kind as people say it. */
export function kindName(r: RecordMsg): 'person' | 'vehicle' | 'case' | 'unknown' {
  const c = r.kind?.$case;
  return c === 'caseRecord' ? 'case' : (c ?? 'unknown');
}

/** A record in one line: its main field (name, number, FIR) and the details that tell it apart. */
export function recordSummary(r: RecordMsg): { main: string; details: string } {
  const k = r.kind;
  if (k?.$case === 'person') {
    const p = k.value;
    return {
      main: p.name,
      details: [
        enumName(PersonStatus, 'PERSON_STATUS_', p.status),
        enumName(Gender, 'GENDER_', p.gender),
        p.age ? `age ${p.age}` : p.dateOfBirth ? `born ${p.dateOfBirth}` : '',
        p.fatherName ? `father ${p.fatherName}` : '',
        p.aliases.length ? `alias ${p.aliases.join('/')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    };
  }
  if (k?.$case === 'vehicle') {
    const v = k.value;
    return {
      main: v.registration || v.chassis || v.engine,
      details: [
        enumName(VehicleRecordStatus, 'VEHICLE_RECORD_STATUS_', v.status),
        [v.make, v.model, v.colour].filter(Boolean).join(' '),
        v.registration && v.chassis ? `chassis ${v.chassis}` : '',
        (v.registration || v.chassis) && v.engine ? `engine ${v.engine}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    };
  }
  if (k?.$case === 'caseRecord') {
    const c = k.value;
    return {
      main: `FIR ${c.firNumber}`,
      details: [
        enumName(CaseStatus, 'CASE_STATUS_', c.status),
        c.sections.join(', '),
        c.place,
        c.occurredAt ? when(c.occurredAt).slice(0, 10) : '',
        c.modusOperandi,
      ]
        .filter(Boolean)
        .join('; '),
    };
  }
  return { main: '', details: '' };
}

/** A record as JSON: its protobuf JSON form (enum names, ISO times, empty fields left out). */
export function recordJson(r: RecordMsg | undefined): unknown {
  return r ? RecordMsg.toJSON(r) : null;
}
