import type {
  AlertDetail,
  AlertView,
  AuditView,
  BroadcastView,
  EscalationsSnapshot,
  NotificationsSnapshot,
  NotificationView,
  StationsSnapshot,
} from '@cctns/hq-console';
import type { ServerToClientEvents } from '@cctns/hq-console';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  approveWithAgent,
  signIn,
  startConsoleNetwork,
  STATIONS,
  type ConsoleNetwork,
} from '../support/console-network.js';
import { join } from 'node:path';
import { composeAlert } from '@cctns/station-agent';
import { cctns } from '../support/cli.js';
import { eventually } from '../support/network.js';

// The console's REST API and socket.io against real brokers (national, MH, KA on one backbone),
// real station agents, a local Twilio-API server and a real SMTP server. Plain HTTP here (the
// browser test runs the same server over HTTPS).
let net: ConsoleNetwork;
let duty1 = '';
let duty2 = '';
let viewer = '';
let admin = '';
let mhduty = '';
// The consoles' clock: moved forward to end sessions.
let offsetMs = 0;

beforeAll(async () => {
  net = await startConsoleNetwork('console-api', {
    consoleClock: () => new Date(Date.now() + offsetMs),
  });
  duty1 = await signIn(net, net.national, 'duty1');
  duty2 = await signIn(net, net.national, 'duty2');
  viewer = await signIn(net, net.national, 'viewer');
  admin = await signIn(net, net.national, 'admin');
  mhduty = await signIn(net, net.mh, 'mhduty');
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

const national = (extra: Record<string, unknown> = {}) => ({
  to: { national: true },
  event: 'Terror threat',
  headline: 'राष्ट्रीय चेतावनी: संदिग्ध विस्फोटक',
  description: 'Look out for the vehicle below.',
  severity: 'extreme',
  categories: ['security'],
  vehicles: [{ registration: 'mh 12 ab 1234', make: 'Maruti', status: 'suspect' }],
  persons: [{ name: 'Ramesh Kumar', aliases: ['Ramu'], gender: 'male', age: 35, role: 'wanted' }],
  ...extra,
});

describe('console API', () => {
  it('lists the stations of every state broker in scope, with online state', async () => {
    const snap = await eventually(
      async () => {
        const r = await api<StationsSnapshot>(net.national, duty1, 'GET', '/api/stations');
        return r.body.stations.filter((s) => s.online).length === STATIONS.length
          ? r.body
          : undefined;
      },
      15_000,
      'all stations online in the national console',
    );
    expect(snap.unreachable).toEqual([]);
    expect(snap.stations.map((s) => s.identity)).toEqual([...STATIONS].sort());
    expect(snap.stations[0]).toMatchObject({ state: 'KA', district: 'BENGALURU', name: 'PS001' });
    const mh = await api<StationsSnapshot>(net.mh, mhduty, 'GET', '/api/stations');
    expect(mh.body.stations.every((s) => s.state === 'MH')).toBe(true);
  });

  it('holds a national broadcast for a second duty officer, sends it once approved, and tracks receipts and acknowledgements', async () => {
    const created = await api<BroadcastView>(
      net.national,
      duty1,
      'POST',
      '/api/broadcasts',
      national(),
    );
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'pending', composer: 'duty1', alertId: null });
    const id = created.body.id;

    const own = await api(net.national, duty1, 'POST', `/api/broadcasts/${id}/approve`);
    expect(own).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await api(net.national, viewer, 'POST', `/api/broadcasts/${id}/approve`)).status).toBe(
      403,
    );

    // The network's two-person rule: duty2 signs the draft with their own HQ key (their agent)
    // while approving in the console.
    const signed = approveWithAgent(net, 'duty2', id);
    const approved = await api<BroadcastView>(
      net.national,
      duty2,
      'POST',
      `/api/broadcasts/${id}/approve`,
    );
    await signed;
    // The console answers with the broker's own word: accepted, at a log sequence.
    expect(approved.body).toMatchObject({
      status: 'accepted',
      approver: 'duty2',
      alertId: id,
      refusal: null,
    });
    expect(approved.body.seq).toBeGreaterThan(0);
    const again = await api(net.national, duty2, 'POST', `/api/broadcasts/${id}/approve`);
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });

    // Every station receives it; each acknowledges; the tracker fills.
    for (const a of net.stations.values())
      await eventually(() => a.store.inboxItem(id), 15_000, `${a.identity} receives the broadcast`);
    for (const a of net.stations.values()) await a.acknowledge(id, 'seen');
    const detail = await eventually(
      async () => {
        const d = await api<AlertDetail>(net.national, viewer, 'GET', `/api/alerts/${id}`);
        return d.status === 200 && d.body.tracker.acknowledged === STATIONS.length
          ? d.body
          : undefined;
      },
      15_000,
      'tracker full',
    );
    expect(detail.tracker).toMatchObject({ expected: 4, received: 4, read: 4, acknowledged: 4 });
    expect(detail.tracker.timeline.at(-1)).toMatchObject({ acknowledged: 4 });
    expect(detail.alert).toMatchObject({
      headline: 'राष्ट्रीय चेतावनी: संदिग्ध विस्फोटक',
      sender: 'hq/national/console',
      severity: 'extreme',
      states: ['national'],
      note: expect.stringContaining('approved by duty2'),
      vehicles: [expect.objectContaining({ registration: 'MH12AB1234', status: 'suspect' })],
      persons: [expect.objectContaining({ name: 'Ramesh Kumar', role: 'wanted', age: 35 })],
    });

    // A Cancel joins the chain.
    const cancel = await api<BroadcastView>(net.national, duty1, 'POST', '/api/broadcasts', {
      msgType: 'cancel',
      references: [id],
      to: { states: ['MH'] },
      event: 'Terror threat',
      headline: 'Cancelled: the vehicle was found',
    });
    expect(cancel.body.status).toBe('accepted');
    const chain = await eventually(
      async () => {
        const d = await api<AlertDetail>(net.national, viewer, 'GET', `/api/alerts/${id}`);
        return d.body.chain.length === 2 ? d.body.chain : undefined;
      },
      15_000,
      'the cancel in the chain',
    );
    expect(chain.map((a) => a.msgType)).toEqual(['alert', 'cancel']);
  });

  it('sends a state broadcast at once, with SMS and email to the SHOs of the addressed stations', async () => {
    // A socket signed in before the broadcast hears of each SMS and email row without asking.
    const socket: Socket<ServerToClientEvents> = connect(net.national.url, {
      transports: ['websocket'],
      extraHeaders: { cookie: viewer },
      reconnection: false,
    });
    const pushed = new Map<string, NotificationView>();
    socket.on('notifications', (rows) => {
      for (const n of rows) pushed.set(`${n.broker}:${n.contactId}:${n.channel}`, n);
    });
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    const r = await api<BroadcastView>(net.mh, mhduty, 'POST', '/api/broadcasts', {
      to: { districts: ['MH/PUNE'] },
      event: 'Kidnapping',
      headline: 'Child kidnapped near Swargate',
      severity: 'extreme',
      channels: ['network', 'sms', 'email'],
    });
    expect(r.body).toMatchObject({ status: 'accepted', composer: 'mhduty' });
    const alertId = r.body.alertId!;
    const sms = await eventually(
      () => {
        const sent = net.twilio.messages.filter((m) => m.body.includes('Child kidnapped'));
        return sent.length === 2 ? sent : undefined;
      },
      15_000,
      'an SMS to each SHO',
    );
    expect(sms.map((m) => m.to).sort()).toEqual(['+919800000001', '+919800000002']);
    await eventually(
      () => net.smtp.messages.some((m) => m.envelope.to.includes('sho.ps001@mh.police.example')),
      15_000,
      'email to the SHO with an address',
    );
    const n = await api<NotificationsSnapshot>(
      net.national,
      viewer,
      'GET',
      `/api/notifications?alert=${alertId}`,
    );
    expect(n.body.unreachable).toEqual([]);
    expect(
      n.body.notifications.map((x) => `${x.broker}:${x.contactId}:${x.channel}`).sort(),
    ).toEqual(['MH:sho-pune-ps001:email', 'MH:sho-pune-ps001:sms', 'MH:sho-pune-ps002:sms']);
    // The same rows came as socket events, with the state the broker holds now (the console
    // polls the brokers' queues centrally and passes on only what is new or changed).
    await eventually(
      async () => {
        const now = await api<NotificationsSnapshot>(
          net.national,
          viewer,
          'GET',
          `/api/notifications?alert=${alertId}`,
        );
        return (
          now.body.notifications.length === 3 &&
          now.body.notifications.every((x) => {
            const p = pushed.get(`${x.broker}:${x.contactId}:${x.channel}`);
            return p?.alertId === alertId && p.state === x.state && p.updatedAt === x.updatedAt;
          })
        );
      },
      10_000,
      'notification rows pushed to the socket as the broker holds them',
    );
    socket.close();

    // Neither SHO has acknowledged: the MH broker's chain texts each again after an hour.
    const detail = await api<AlertDetail>(net.national, viewer, 'GET', `/api/alerts/${alertId}`);
    const due = new Date(new Date(detail.body.alert.sent!).getTime() + 3_600_000).toISOString();
    const e = await api<EscalationsSnapshot>(
      net.national,
      viewer,
      'GET',
      `/api/escalations?alert=${alertId}`,
    );
    expect(e.body.unreachable).toEqual([]);
    expect(e.body.steps.map((x) => [x.broker, x.station, x.dueAt, x.recipients])).toEqual([
      [
        'MH',
        'station/MH/PUNE/PS001',
        due,
        [{ contactId: 'sho-pune-ps001', name: 'SHO Pune PS001', role: 'SHO' }],
      ],
      [
        'MH',
        'station/MH/PUNE/PS002',
        due,
        [{ contactId: 'sho-pune-ps002', name: 'SHO Pune PS002', role: 'SHO' }],
      ],
    ]);
  });

  it("shows the broker's refusal of a broadcast as refused, with its reason, and audits it", async () => {
    // A Cancel of a station's alert is refused by the console itself (only the sender may cancel).
    const station = net.stations.get('station/MH/PUNE/PS001')!;
    const theirs = composeAlert({
      sender: station.identity,
      to: { stations: ['station/KA/BENGALURU/PS001'] },
      event: 'Theft',
      headline: 'Two-wheeler stolen',
      now: new Date(),
    });
    await station.send(theirs);
    await eventually(
      async () =>
        (await api<AlertDetail>(net.national, duty1, 'GET', `/api/alerts/${theirs.identifier}`))
          .status === 200,
      15_000,
      'the station alert in the console',
    );
    const cancelTheirs = await api(net.national, duty1, 'POST', '/api/broadcasts', {
      msgType: 'cancel',
      references: [theirs.identifier],
      to: { states: ['KA'] },
      event: 'Theft',
      headline: 'Cancelled',
    });
    expect(cancelTheirs).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN', message: expect.stringContaining(station.identity) },
    });

    // One the console does not know goes to the broker, which refuses it: the answer says so.
    const unknown = '00000000-0000-4000-8000-000000000015';
    const refused = await api<BroadcastView>(net.national, duty1, 'POST', '/api/broadcasts', {
      msgType: 'cancel',
      references: [unknown],
      to: { states: ['MH'] },
      event: 'Theft',
      headline: 'Cancelled',
    });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      status: 'refused',
      seq: null,
      refusal: { code: 'REFERENCE_UNKNOWN', message: expect.stringContaining(unknown) },
    });
    const listed = await api<{ broadcasts: BroadcastView[] }>(
      net.national,
      duty1,
      'GET',
      '/api/broadcasts',
    );
    expect(listed.body.broadcasts.find((b) => b.id === refused.body.id)?.status).toBe('refused');
    const audit = await api<AuditView>(
      net.national,
      admin,
      'GET',
      `/api/audit?source=console&subject=${refused.body.id}`,
    );
    expect(audit.body.entries.find((e) => e.action === 'console.broadcast.answer')).toMatchObject({
      outcome: 'refused',
      code: 'REFERENCE_UNKNOWN',
      actor: 'hq/national/console',
    });

    // Who the console is and which states it reaches, for the UI's choices.
    const me = await api(net.national, duty1, 'GET', '/api/me');
    expect(me.body).toMatchObject({
      console: 'hq/national/console',
      brokerStates: ['KA', 'MH'],
      approvalWaitSeconds: 120,
    });
  });

  it('refuses a state operator acting on another state, viewers broadcasting, and malformed broadcasts', async () => {
    const other = await api(net.mh, mhduty, 'POST', '/api/broadcasts', {
      to: { states: ['KA'] },
      event: 'x',
      headline: 'x',
    });
    expect(other).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN', message: expect.stringContaining('KA') },
    });
    expect((await api(net.mh, mhduty, 'GET', '/api/contacts?state=KA')).status).toBe(403);
    expect((await api(net.national, viewer, 'POST', '/api/broadcasts', national())).status).toBe(
      403,
    );
    for (const [body, message] of [
      [{ to: {}, event: 'x', headline: 'x' }, 'choose whom'],
      [{ to: { states: ['ZZ9'] }, event: 'x', headline: 'x' }, 'to.states[0]'],
      [national({ headline: 7 }), 'headline must be text'],
      [national({ severity: 'apocalyptic' }), 'severity'],
      [national({ expiresInMinutes: -5 }), 'expiresInMinutes'],
      [national({ persons: [{ name: 'A', age: 'old' }] }), 'persons[0].age'],
      [{ msgType: 'cancel', to: { national: true }, event: 'x', headline: 'x' }, 'reference'],
    ] as const) {
      const res = await api(net.national, duty1, 'POST', '/api/broadcasts', body);
      expect(res, JSON.stringify(body)).toMatchObject({
        status: 400,
        body: { code: 'INPUT_INVALID', message: expect.stringContaining(message) },
      });
    }
    const notJson = await fetch(`${net.national.url}/api/broadcasts`, {
      method: 'POST',
      headers: { cookie: duty1, 'content-type': 'text/plain' },
      body: 'to=all',
    });
    expect(notJson.status).toBe(400);
    expect((await api(net.national, 'cctns_session=forged', 'GET', '/api/alerts')).status).toBe(
      401,
    );
    // Nothing was stored by the refusals; the console still works.
    const list = await api<{ broadcasts: BroadcastView[] }>(
      net.national,
      duty1,
      'GET',
      '/api/broadcasts',
    );
    expect(list.body.broadcasts.every((b) => b.input.headline !== 'x')).toBe(true);
  });

  it('lets an administrator edit a state contact directory, validated by the broker, and no one else', async () => {
    const got = await api<{ document: { contacts: unknown[] } }>(
      net.national,
      admin,
      'GET',
      '/api/contacts?state=MH',
    );
    expect(got.body.document.contacts).toHaveLength(2);
    const doc = {
      version: 1,
      contacts: [
        ...got.body.document.contacts,
        {
          id: 'sp-pune',
          name: 'SP Pune',
          role: 'SP',
          scope: 'district/MH/PUNE',
          email: 'sp@x.example',
        },
      ],
    };
    expect((await api(net.national, duty1, 'PUT', '/api/contacts?state=MH', doc)).status).toBe(403);
    const bad = await api(net.national, admin, 'PUT', '/api/contacts?state=MH', {
      version: 1,
      contacts: [
        { id: 'x', name: 'X', role: 'SHO', scope: 'station/MH/PUNE/PS001', phone: '98000' },
      ],
    });
    expect(bad).toMatchObject({ status: 400, body: { message: expect.stringContaining('phone') } });
    const put = await api<{ document: { contacts: unknown[] } }>(
      net.national,
      admin,
      'PUT',
      '/api/contacts?state=MH',
      doc,
    );
    expect(put.status).toBe(200);
    expect(put.body.document.contacts).toHaveLength(3);
    const again = await api<{ document: { contacts: unknown[] } }>(
      net.mh,
      mhduty,
      'GET',
      '/api/contacts',
    );
    expect(again.body.document.contacts).toHaveLength(3);
    const ka = await api(net.national, admin, 'GET', '/api/contacts?state=KA');
    expect(ka).toMatchObject({
      status: 502,
      body: { message: expect.stringContaining('NOTIFY_UNAVAILABLE') },
    });
  });

  it('pushes alerts and broadcasts to signed-in sockets, refuses malformed events, and closes sockets of ended sessions', async () => {
    const socket: Socket<ServerToClientEvents> = connect(net.national.url, {
      transports: ['websocket'],
      extraHeaders: { cookie: viewer },
      reconnection: false,
    });
    const alerts: AlertView[] = [];
    const broadcasts: BroadcastView[] = [];
    let stations: StationsSnapshot | undefined;
    socket.on('alert', (a) => alerts.push(a));
    socket.on('broadcast', (b) => broadcasts.push(b));
    socket.on('stations', (s) => (stations = s));
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    await eventually(
      () => stations?.stations.length === STATIONS.length,
      10_000,
      'stations on connect',
    );
    const raw = socket as unknown as Socket;
    for (const bad of [undefined, 'x', { limit: 'all' }, { limit: 0 }, { limit: 1e9 }]) {
      const ack = await new Promise<{ ok: boolean; code?: string }>((resolve) =>
        raw.emit('recent', bad, resolve),
      );
      expect(ack).toMatchObject({ ok: false, code: 'INPUT_INVALID' });
    }
    raw.emit('no-such-event', { a: 1 });
    const b = await api<BroadcastView>(
      net.national,
      duty1,
      'POST',
      '/api/broadcasts',
      national({ headline: 'socket test' }),
    );
    await eventually(
      () => broadcasts.some((x) => x.id === b.body.id && x.status === 'pending'),
      5_000,
      'pending broadcast pushed',
    );
    const signed = approveWithAgent(net, 'duty2', b.body.id);
    await api(net.national, duty2, 'POST', `/api/broadcasts/${b.body.id}/approve`);
    await signed;
    await eventually(() => alerts.some((a) => a.id === b.body.id), 15_000, 'live alert');
    expect(socket.connected).toBe(true);

    // 31 idle minutes later the socket is told and closed, and the cookie no longer works.
    const ended = new Promise<string>((resolve) => socket.on('session', (s) => resolve(s.message)));
    offsetMs = 31 * 60_000;
    expect(await ended).toMatch(/30 idle minutes/);
    await eventually(() => !socket.connected, 5_000, 'socket closed');
    expect(await api(net.national, viewer, 'GET', '/api/alerts')).toMatchObject({
      status: 401,
      body: { code: 'SESSION_EXPIRED' },
    });
    socket.close();
  });

  it('keeps an audit of sign-ins, broadcasts, decisions and contact edits that verifies', async () => {
    offsetMs = 0; // the session test moved the consoles' clock; sign in afresh
    duty1 = await signIn(net, net.national, 'duty1');
    duty2 = await signIn(net, net.national, 'duty2');
    const toReject = await api<BroadcastView>(
      net.national,
      duty1,
      'POST',
      '/api/broadcasts',
      national(),
    );
    const rejected = await api<BroadcastView>(
      net.national,
      duty2,
      'POST',
      `/api/broadcasts/${toReject.body.id}/reject`,
      { reason: 'not verified with the district yet' },
    );
    expect(rejected.body.status).toBe('rejected');
    const db = join(net.dir, 'console-national', 'console.db');
    const root = join(net.dir, 'console-national', 'tls', 'root.pem');
    const v = await cctns(['--json', 'audit', 'verify', '--db', db, '--root', root]);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
    // Without --root, the root of the console's folder (tls/root.pem) checks the checkpoints.
    const byDefault = await cctns(['--json', 'audit', 'verify', '--db', db]);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toMatchObject({ ok: true, checkpointsChecked: true });
    // The text report says what each decision was.
    const text = await cctns([
      'audit',
      'report',
      '--db',
      db,
      '--action',
      'console.broadcast.decide',
    ]);
    expect(text.stdout).toMatch(/console\.broadcast\.decide ok approved status accepted/);
    expect(text.stdout).toMatch(/console\.broadcast\.decide ok rejected status rejected/);
    const r = await cctns(['--json', 'audit', 'report', '--db', db, '--action', 'console.']);
    const entries = (JSON.parse(r.stdout) as { entries: Array<Record<string, unknown>> }).entries;
    const seen = new Set(entries.map((e) => `${e['actor']} ${e['action']} ${e['outcome']}`));
    for (const x of [
      'console:duty1@national console.signin ok',
      'console:duty1@national console.broadcast.compose ok',
      'console:duty1@national console.broadcast.decide refused',
      'console:duty2@national console.broadcast.decide ok',
      'console:viewer@national console.broadcast.compose refused',
      'console:admin@national console.contacts.edit ok',
      'console:duty1@national console.contacts.edit refused',
    ])
      expect(seen, x).toContain(x);
  });

  it("shows administrators the brokers' and its own audit, checked on request", async () => {
    offsetMs = 0; // the session test moved the consoles' clock; sign in afresh
    admin = await signIn(net, net.national, 'admin');
    duty1 = await signIn(net, net.national, 'duty1');
    const mh = await api<AuditView>(net.national, admin, 'GET', '/api/audit?source=MH&verify=1');
    expect(mh.status).toBe(200);
    expect(mh.body).toMatchObject({ source: 'MH', verified: true, problems: [] });
    expect(mh.body.sources).toEqual(['console', 'national', 'MH', 'KA']);
    expect(
      mh.body.entries.some((e) => e.action === 'alert.accepted' && e.actor === 'hq/MH/console'),
    ).toBe(true);
    const national = await api<AuditView>(
      net.national,
      admin,
      'GET',
      '/api/audit?source=national&action=alert.',
    );
    expect(national.body.entries.length).toBeGreaterThan(0);
    expect(national.body.entries.every((e) => e.action.startsWith('alert.'))).toBe(true);
    expect(national.body.verified).toBeNull();
    const own = await api<AuditView>(
      net.national,
      admin,
      'GET',
      '/api/audit?source=console&actor=console:duty2@national',
    );
    expect(own.body.entries.length).toBeGreaterThan(0);
    expect(own.body.entries.every((e) => e.actor === 'console:duty2@national')).toBe(true);
    expect((await api(net.national, duty1, 'GET', '/api/audit')).status).toBe(403);
    expect((await api(net.national, admin, 'GET', '/api/audit?source=ZZ')).status).toBe(400);
  });
});
