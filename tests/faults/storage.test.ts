import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { JwsSigner, loadPrivateKey, signAlert, type Pki } from '@cctns/pki';
import { AgentError, composeAlert, type Agent } from '@cctns/station-agent';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawLink } from '../support/raw-link.js';
import {
  eventually,
  makePki,
  provision,
  runFast,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';
import { printFigures, secondsSince } from './figures.js';
import { enrollAt, initProcessBroker, type ProcessBroker } from './process-broker.js';

// A full disk and a locked SQLite file, at the broker (its own process, its database on a small
// tmpfs) and at a receiving station (its directory on another): what arrives is refused with a
// clear reason and taken again later, nothing already acknowledged is lost, and everything flows
// again once space returns or the lock goes.
const dir = tempDir('fault-storage');
const brokerDisk = join(dir, 'broker-disk');
const agentDisk = join(dir, 'agent-disk');
let mounted: string[] = [];
let pki: Pki;
let broker: ProcessBroker;
let sender: Agent;
let receiver: Agent;
const probeDir = join(dir, 'probe');
const PROBE = 'station/MH/PUNE/PS009';
let probeSigner: JwsSigner;
const links: RawLink[] = [];
const sent: string[] = [];

/** A small tmpfs at `path` (we run as root in CI and here); false where mounting is not allowed. */
function mountTmpfs(path: string, size: string): boolean {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
    mounted.push(path);
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system of `path` to the last byte with a filler file; returns its path. */
function fill(path: string): string {
  const file = join(path, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // The last partial chunk too.
  try {
    for (;;) writeSync(fd, Buffer.alloc(512));
  } catch {
    // full
  }
  closeSync(fd);
  return file;
}

async function send(n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const alert = composeAlert({
      sender: sender.identity,
      to: { stations: [receiver.identity] },
      event: 'Storage fault',
      headline: `${label} ${i}`,
      now: new Date(),
    });
    ids.push(alert.identifier);
    sent.push(alert.identifier);
    await sender.send(alert);
  }
  return ids;
}

const accepted = (ids: string[]) =>
  ids.every((id) => sender.store.outboxItem(id)?.status === 'accepted');
const held = (ids: string[]) => ids.every((id) => receiver.store.inboxItem(id));

/** Sends one alert as the probe station on a raw link and returns the broker's answer. */
async function probe(link: RawLink, ref: string) {
  const alert = composeAlert({
    sender: PROBE,
    to: { stations: ['station/MH/PUNE/PS003'] },
    event: 'Probe',
    headline: ref,
    now: new Date(),
  });
  link.send({
    ref,
    body: { $case: 'alert', value: { jws: (await signAlert(probeSigner, alert)).jws } },
  });
  // A locked database holds each write for its busy timeout (5 s) before giving up.
  const m = await link.next(
    (x) =>
      (x.body?.$case === 'accepted' || x.body?.$case === 'refused') && x.body.value.ref === ref,
    60_000,
  );
  return m.body?.$case === 'refused'
    ? { accepted: false, reason: m.body.value.reason, message: m.body.value.message }
    : { accepted: true, reason: '', message: '' };
}

const canMount = mountTmpfs(brokerDisk, '16m') && mountTmpfs(agentDisk, '16m');
if (!canMount)
  console.log('[fault] disk full and locked database: skipped, no tmpfs can be mounted here');

beforeAll(async () => {
  if (!canMount) return;
  ({ pki } = await makePki(dir, ['MH']));
  broker = await initProcessBroker(dir, pki, 'MH', {
    store: `sqlite:${join(brokerDisk, 'broker.db')}`,
  });
  await broker.start();
  sender = await enrollAt(pki, broker, 'station/MH/PUNE/PS001', join(dir, 'sender'));
  receiver = await enrollAt(pki, broker, 'station/MH/PUNE/PS002', join(agentDisk, 'receiver'));
  await provision(pki, pki.unlockCa('MH', TEST_PASSPHRASE), PROBE, probeDir);
  probeSigner = new JwsSigner(
    loadPrivateKey(readFileSync(join(probeDir, 'key.pem'), 'utf8'), undefined, 'the probe key')
      .privateKey,
    readFileSync(join(probeDir, 'cert.pem'), 'utf8'),
  );
  runFast(sender);
  runFast(receiver);
}, 120_000);

afterAll(async () => {
  for (const l of links) l.close();
  await sender?.close();
  await receiver?.close();
  await broker?.kill();
  pki?.close();
  for (const m of mounted) execFileSync('umount', ['-l', m]);
  mounted = [];
});

describe.skipIf(!canMount)('a full disk and a locked database (tmpfs)', () => {
  it('refuses with a clear reason, loses nothing acknowledged and recovers', async () => {
    const figures: Record<string, number | string> = {
      'disk full made by': 'a 16 MiB tmpfs filled to the last byte',
    };
    const baseline = await send(20, 'before');
    await eventually(() => accepted(baseline) && held(baseline), 30_000, 'baseline delivered');

    // The broker's disk full.
    let filler = fill(brokerDisk);
    const link = new RawLink(broker.grpc, probeDir);
    links.push(link);
    await link.hello();
    let answer = await probe(link, 'full-1');
    for (let i = 2; answer.accepted && i <= 200; i++) answer = await probe(link, `full-${i}`);
    expect(answer).toMatchObject({ accepted: false, reason: 'STORE_FULL' });
    figures['broker disk full: refusal'] = `${answer.reason} "${answer.message}"`;
    const whileFull = await send(10, 'broker disk full');
    await new Promise((r) => setTimeout(r, 1500));
    // Refused for now, not for good: they wait in the outbox.
    expect(whileFull.map((id) => sender.store.outboxItem(id)?.status)).not.toContain('refused');
    expect(broker.process!.child.exitCode).toBe(null);
    let freed = performance.now();
    rmSync(filler);
    await eventually(
      () => accepted(whileFull) && held(whileFull),
      60_000,
      'recovery at the broker',
    );
    figures['broker disk full: all delivered after space returned (s)'] = secondsSince(freed);

    // The receiving station's disk full: the officer is told at once, deliveries wait.
    filler = fill(agentDisk);
    const own = composeAlert({
      sender: receiver.identity,
      to: { stations: [sender.identity] },
      event: 'Storage fault',
      headline: 'from a full disk',
      now: new Date(),
    });
    let sendError: unknown;
    try {
      for (let i = 0; i < 200; i++)
        await receiver.send({ ...own, identifier: `${own.identifier}-${i}` });
    } catch (err) {
      sendError = err;
    }
    expect(sendError).toBeInstanceOf(AgentError);
    expect((sendError as AgentError).code).toBe('STORE_UNAVAILABLE');
    figures['station disk full: sending'] =
      `${(sendError as AgentError).code} "${(sendError as Error).message}"`;
    const toFullStation = await send(10, 'station disk full');
    await eventually(() => accepted(toFullStation), 30_000, 'accepted while the station is full');
    await new Promise((r) => setTimeout(r, 1500));
    freed = performance.now();
    rmSync(filler);
    await eventually(() => held(toFullStation), 60_000, 'recovery at the station');
    figures['station disk full: all held after space returned (s)'] = secondsSince(freed);

    // The broker's database locked by another process.
    const locker = new Database(join(brokerDisk, 'broker.db'));
    locker.exec('BEGIN EXCLUSIVE');
    answer = await probe(link, 'locked');
    expect(answer).toMatchObject({ accepted: false, reason: 'STORE_BUSY' });
    figures['broker database locked: refusal'] = `${answer.reason} "${answer.message}"`;
    const whileLocked = await send(5, 'broker locked');
    locker.exec('COMMIT');
    locker.close();
    freed = performance.now();
    await eventually(
      () => accepted(whileLocked) && held(whileLocked),
      60_000,
      'recovery after the lock',
    );
    figures['broker database locked: all delivered after the lock went (s)'] = secondsSince(freed);

    // The receiving station's database locked by another process for 6 s.
    const agentLocker = new Database(join(agentDisk, 'receiver', 'agent.db'));
    agentLocker.exec('BEGIN EXCLUSIVE');
    const toLocked = await send(5, 'station locked');
    await eventually(() => accepted(toLocked), 30_000, 'accepted while the station is locked');
    await new Promise((r) => setTimeout(r, 6000));
    agentLocker.exec('COMMIT');
    agentLocker.close();
    freed = performance.now();
    await eventually(() => held(toLocked), 60_000, 'recovery at the locked station');
    figures['station database locked: all held after the lock went (s)'] = secondsSince(freed);

    const acknowledged = sent.filter((id) => sender.store.outboxItem(id)?.status === 'accepted');
    const inbox = receiver.store.inbox().filter((i) => sent.includes(i.alertId));
    const lost = acknowledged.filter((id) => !receiver.store.inboxItem(id)).length;
    expect(acknowledged).toHaveLength(sent.length);
    expect(lost).toBe(0);
    expect(inbox).toHaveLength(new Set(inbox.map((i) => i.alertId)).size);
    expect(broker.process!.child.exitCode).toBe(null);
    figures['alerts acknowledged'] = acknowledged.length;
    figures['held by the station'] = inbox.length;
    figures.lost = lost;
    figures.duplicated = inbox.length - new Set(inbox.map((i) => i.alertId)).size;
    printFigures('disk full and locked database', figures);
  });
});
