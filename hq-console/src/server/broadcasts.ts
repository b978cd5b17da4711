import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Gender, NotifyChannel, PersonRole, VehicleStatus, type Alert } from '@cctns/proto';
import { AgentError, composeAlert, enumValue } from '@cctns/station-agent';
import { ConsoleError } from '../auth/errors.js';
import type { BroadcastInput, BroadcastView, OperatorView } from './events.js';

/** Longest free text a broadcast field takes (the broker refuses longer anyway). */
const MAX_TEXT = 4000;
const MAX_ITEMS = 200;
const STATE = /^[A-Z]{2}$/;
const DISTRICT = /^[A-Z]{2}\/[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$/;
const STATION = /^station\/[A-Z]{2}\/[A-Z0-9-]{1,32}\/[A-Z0-9-]{1,32}$/;

const bad = (message: string) => new ConsoleError('INPUT_INVALID', message);

function str(v: unknown, field: string, opts: { required?: boolean; max?: number } = {}): string {
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw bad(`${field} is required`);
    return '';
  }
  if (typeof v !== 'string') throw bad(`${field} must be text`);
  if (v.length > (opts.max ?? MAX_TEXT))
    throw bad(`${field} is longer than ${opts.max ?? MAX_TEXT} characters`);
  return v.trim();
}

function strings(v: unknown, field: string, pattern?: RegExp): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${field} must be a list`);
  if (v.length > MAX_ITEMS) throw bad(`${field} has more than ${MAX_ITEMS} items`);
  return v.map((x, i) => {
    const s = str(x, `${field}[${i}]`, { required: true, max: 200 });
    if (pattern && !pattern.test(s)) throw bad(`${field}[${i}] ${JSON.stringify(s)} is malformed`);
    return s;
  });
}

/** Checks a composer's input field by field (the browser is not trusted), naming what is wrong. */
export function parseBroadcastInput(body: unknown): BroadcastInput {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw bad('the broadcast must be a JSON object');
  const b = body as Record<string, unknown>;
  const to = (b['to'] ?? {}) as Record<string, unknown>;
  if (typeof to !== 'object' || Array.isArray(to)) throw bad('to must be an object');
  const msgType = str(b['msgType'], 'msgType') || 'alert';
  if (!['alert', 'update', 'cancel'].includes(msgType))
    throw bad('msgType must be alert, update or cancel');
  const channels = strings(b['channels'], 'channels');
  for (const c of channels)
    if (!['network', 'sms', 'email'].includes(c))
      throw bad(`channels: ${JSON.stringify(c)} is not network, sms or email`);
  const expires = b['expiresInMinutes'];
  if (
    expires !== undefined &&
    (typeof expires !== 'number' || !Number.isInteger(expires) || expires < 1 || expires > 43_200)
  )
    throw bad('expiresInMinutes must be a whole number of minutes from 1 to 43200 (30 days)');
  const list = (v: unknown, field: string) => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw bad(`${field} must be a list`);
    if (v.length > 50) throw bad(`${field} has more than 50 items`);
    return v.map((x, i) => {
      if (!x || typeof x !== 'object') throw bad(`${field}[${i}] must be an object`);
      return x as Record<string, unknown>;
    });
  };
  const input: BroadcastInput = {
    msgType: msgType as 'alert',
    references: strings(b['references'], 'references'),
    to: {
      national: to['national'] === true,
      states: strings(to['states'], 'to.states', STATE),
      districts: strings(to['districts'], 'to.districts', DISTRICT),
      stations: strings(to['stations'], 'to.stations', STATION),
    },
    event: str(b['event'], 'event', { required: true, max: 200 }),
    headline: str(b['headline'], 'headline', { required: true, max: 200 }),
    description: str(b['description'], 'description'),
    instruction: str(b['instruction'], 'instruction'),
    severity: str(b['severity'], 'severity', { max: 20 }) || 'severe',
    urgency: str(b['urgency'], 'urgency', { max: 20 }) || 'immediate',
    certainty: str(b['certainty'], 'certainty', { max: 20 }) || 'likely',
    categories: strings(b['categories'], 'categories'),
    ...(expires !== undefined ? { expiresInMinutes: expires as number } : {}),
    persons: list(b['persons'], 'persons').map((p, i) => ({
      name: str(p['name'], `persons[${i}].name`, { required: true, max: 200 }),
      aliases: strings(p['aliases'], `persons[${i}].aliases`),
      fatherName: str(p['fatherName'], `persons[${i}].fatherName`, { max: 200 }),
      gender: str(p['gender'], `persons[${i}].gender`, { max: 20 }),
      age:
        p['age'] === undefined || p['age'] === null || p['age'] === ''
          ? 0
          : Number.isInteger(p['age']) && (p['age'] as number) >= 0 && (p['age'] as number) < 130
            ? (p['age'] as number)
            : (() => {
                throw bad(`persons[${i}].age must be a whole number of years`);
              })(),
      role: str(p['role'], `persons[${i}].role`, { max: 30 }),
    })),
    vehicles: list(b['vehicles'], 'vehicles').map((v, i) => ({
      registration: str(v['registration'], `vehicles[${i}].registration`, {
        required: true,
        max: 20,
      })
        .toUpperCase()
        .replace(/[\s-]/g, ''),
      make: str(v['make'], `vehicles[${i}].make`, { max: 100 }),
      model: str(v['model'], `vehicles[${i}].model`, { max: 100 }),
      colour: str(v['colour'], `vehicles[${i}].colour`, { max: 50 }),
      status: str(v['status'], `vehicles[${i}].status`, { max: 20 }),
    })),
    firReference: str(b['firReference'], 'firReference', { max: 200 }),
    caseReference: str(b['caseReference'], 'caseReference', { max: 200 }),
    modusOperandi: str(b['modusOperandi'], 'modusOperandi'),
    channels: ['network', ...channels.filter((c) => c !== 'network')] as BroadcastInput['channels'],
  };
  const t = input.to;
  if (!t.national && !t.states!.length && !t.districts!.length && !t.stations!.length)
    throw bad('choose whom to address: national, states, districts or stations');
  if (msgType !== 'alert' && input.references!.length === 0)
    throw bad(`an ${msgType} must reference the alert it changes`);
  return input;
}

/**
 * An operator may act only within the console's scope: a state operator addresses their own
 * state's stations, districts and state; only national HQ addresses the whole country.
 */
export function checkBroadcastScope(input: BroadcastInput, op: OperatorView): void {
  if (op.role === 'viewer')
    throw new ConsoleError('FORBIDDEN', 'viewers may not broadcast; a duty officer may');
  if (op.scope === 'national') return;
  const t = input.to;
  const outside = [
    ...(t.national ? ['the whole country'] : []),
    ...(t.states ?? []).filter((s) => s !== op.scope),
    ...(t.districts ?? []).filter((d) => !d.startsWith(`${op.scope}/`)),
    ...(t.stations ?? []).filter((s) => s.split('/')[1] !== op.scope),
  ];
  if (outside.length)
    throw new ConsoleError(
      'FORBIDDEN',
      `operator ${op.username} of ${op.scope} may not address ${outside.join(', ')}`,
    );
}

/** The signed-to-be alert of a broadcast: the console is its sender; the note names the people. */
export function broadcastAlert(args: {
  input: BroadcastInput;
  sender: string;
  composer: string;
  approver?: string;
  now: Date;
}): Alert {
  const { input, now } = args;
  try {
    const alert = composeAlert({
      sender: args.sender,
      msgType: input.msgType ?? 'alert',
      references: input.references ?? [],
      to: input.to,
      event: input.event,
      headline: input.headline,
      description: input.description ?? '',
      instruction: input.instruction ?? '',
      ...(input.categories?.length ? { categories: input.categories } : {}),
      ...(input.severity ? { severity: input.severity } : {}),
      ...(input.urgency ? { urgency: input.urgency } : {}),
      ...(input.certainty ? { certainty: input.certainty } : {}),
      expires: new Date(now.getTime() + (input.expiresInMinutes ?? 24 * 60) * 60_000),
      persons: (input.persons ?? []).map((p) => ({
        name: p.name,
        aliases: p.aliases ?? [],
        fatherName: p.fatherName ?? '',
        motherName: '',
        gender: p.gender
          ? enumValue(Gender, 'GENDER_', p.gender, 'gender')
          : Gender.GENDER_UNSPECIFIED,
        age: p.age ?? 0,
        dateOfBirth: '',
        identifyingMarks: [],
        photoRefs: [],
        role: p.role
          ? enumValue(PersonRole, 'PERSON_ROLE_', p.role, 'role')
          : PersonRole.PERSON_ROLE_UNSPECIFIED,
      })),
      vehicles: [],
      firReference: input.firReference ?? '',
      caseReference: input.caseReference ?? '',
      modusOperandi: input.modusOperandi ?? '',
      now,
    });
    alert.police!.vehicles = (input.vehicles ?? []).map((v) => ({
      registration: v.registration,
      chassis: '',
      engine: '',
      make: v.make ?? '',
      model: v.model ?? '',
      colour: v.colour ?? '',
      status: v.status
        ? enumValue(VehicleStatus, 'VEHICLE_STATUS_', v.status, 'vehicle status')
        : 0,
    }));
    alert.police!.notify = (input.channels ?? []).flatMap((c) =>
      c === 'sms'
        ? [NotifyChannel.NOTIFY_CHANNEL_SMS]
        : c === 'email'
          ? [NotifyChannel.NOTIFY_CHANNEL_EMAIL]
          : [],
    );
    alert.note = `Composed by ${args.composer}${args.approver ? `, approved by ${args.approver}` : ''} at the HQ console.`;
    return alert;
  } catch (err) {
    if (err instanceof AgentError) throw bad(err.message);
    throw err;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS broadcasts (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  composer TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  approver TEXT,
  decided_at INTEGER,
  alert_id TEXT,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS broadcasts_created ON broadcasts (created_at);
`;

/** Columns of the broker's answer, added to databases made before the console kept it. */
const ANSWER_COLUMNS = {
  seq: 'INTEGER',
  refusal_code: 'TEXT',
  refusal_message: 'TEXT',
  answered_at: 'INTEGER',
} as const;

interface Row {
  id: string;
  status: BroadcastView['status'] | 'sent';
  input: string;
  composer: string;
  created_at: number;
  approver: string | null;
  decided_at: number | null;
  alert_id: string | null;
  reason: string | null;
  seq: number | null;
  refusal_code: string | null;
  refusal_message: string | null;
  answered_at: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const view = (r: Row): BroadcastView => ({
  id: r.id,
  // `sent` was written before the console waited for the broker's answer: queued, answer unknown.
  status: r.status === 'sent' ? 'queued' : r.status,
  input: JSON.parse(r.input) as BroadcastInput,
  composer: r.composer,
  createdAt: new Date(r.created_at).toISOString(),
  approver: r.approver,
  decidedAt: iso(r.decided_at),
  alertId: r.alert_id,
  reason: r.reason,
  seq: r.seq,
  refusal: r.refusal_code ? { code: r.refusal_code, message: r.refusal_message ?? '' } : null,
  answeredAt: iso(r.answered_at),
});

/** The broker's answer to a queued broadcast. */
export type BroadcastAnswer =
  { status: 'accepted'; seq: number } | { status: 'refused'; code: string; message: string };

/**
 * Broadcasts composed at this console, their approvals and the broker's answer (SQLite, beside
 * the accounts). A broadcast is `pending` (a national one, until a second officer approves),
 * `rejected` by an officer, or signed and `queued` for the broker, which then `accepted` it into
 * its log or `refused` it with a reason.
 */
export class Broadcasts {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const have = new Set(
      (this.db.prepare('PRAGMA table_info(broadcasts)').all() as Array<{ name: string }>).map(
        (c) => c.name,
      ),
    );
    for (const [name, type] of Object.entries(ANSWER_COLUMNS))
      if (!have.has(name)) this.db.exec(`ALTER TABLE broadcasts ADD COLUMN ${name} ${type}`);
  }

  /** Stores a composed broadcast, pending until it is decided (or queued at once). */
  create(args: { input: BroadcastInput; composer: string; now: Date }): BroadcastView {
    const id = randomUUID();
    this.db
      .prepare(
        "INSERT INTO broadcasts (id, status, input, composer, created_at) VALUES (?, 'pending', ?, ?, ?)",
      )
      .run(id, JSON.stringify(args.input), args.composer, args.now.getTime());
    return this.get(id)!;
  }

  get(id: string): BroadcastView | undefined {
    const r = this.db.prepare('SELECT * FROM broadcasts WHERE id = ?').get(id) as Row | undefined;
    return r ? view(r) : undefined;
  }

  /**
   * Decides a pending broadcast once: `queued` (signed and handed to the outbox) with the
   * approver and alert, or `rejected` with a reason. Returns undefined when it was not pending
   * (someone else decided first).
   */
  decide(
    id: string,
    d: { status: 'queued' | 'rejected'; by: string; now: Date; alertId?: string; reason?: string },
  ): BroadcastView | undefined {
    const changed = this.db
      .prepare(
        "UPDATE broadcasts SET status = ?, approver = ?, decided_at = ?, alert_id = ?, reason = ? WHERE id = ? AND status = 'pending'",
      )
      .run(d.status, d.by, d.now.getTime(), d.alertId ?? null, d.reason ?? null, id).changes;
    return changed ? this.get(id) : undefined;
  }

  /**
   * Records the broker's answer to a queued broadcast, once. Returns undefined when it was not
   * waiting for one (unknown, or already answered).
   */
  answer(id: string, a: BroadcastAnswer, now: Date): BroadcastView | undefined {
    const changed = this.db
      .prepare(
        "UPDATE broadcasts SET status = ?, seq = ?, refusal_code = ?, refusal_message = ?, answered_at = ? WHERE id = ? AND status IN ('queued', 'sent')",
      )
      .run(
        a.status,
        a.status === 'accepted' ? a.seq : null,
        a.status === 'refused' ? a.code : null,
        a.status === 'refused' ? a.message : null,
        now.getTime(),
        id,
      ).changes;
    return changed ? this.get(id) : undefined;
  }

  /** Ids of broadcasts queued for the broker and not answered yet. */
  unanswered(): string[] {
    return (
      this.db
        .prepare("SELECT id FROM broadcasts WHERE status IN ('queued', 'sent')")
        .all() as Array<{ id: string }>
    ).map((r) => r.id);
  }

  /** The latest broadcasts, newest first. */
  list(limit = 200): BroadcastView[] {
    return (
      this.db
        .prepare('SELECT * FROM broadcasts ORDER BY created_at DESC, id LIMIT ?')
        .all(limit) as Row[]
    ).map(view);
  }

  close(): void {
    this.db.close();
  }
}
