import { describe, expect, it } from 'vitest';
import { MsgType, NotifyChannel, Severity } from '@cctns/proto';
import { broadcastAlert, checkBroadcastScope, parseBroadcastInput } from './broadcasts.js';

const op = (scope: string, role: 'viewer' | 'duty-officer' | 'administrator' = 'duty-officer') => ({
  username: 'u',
  role,
  scope,
});

describe('broadcast input', () => {
  it('takes what the composer sends and fills defaults', () => {
    const input = parseBroadcastInput({
      to: { states: ['MH'], stations: ['station/MH/PUNE/PS001'] },
      event: ' Kidnapping ',
      headline: 'अपहरण',
      channels: ['sms'],
      vehicles: [{ registration: 'mh-12 ab 1234' }],
    });
    expect(input).toMatchObject({
      msgType: 'alert',
      event: 'Kidnapping',
      severity: 'severe',
      channels: ['network', 'sms'],
      vehicles: [{ registration: 'MH12AB1234' }],
    });
    const alert = broadcastAlert({
      input,
      sender: 'hq/MH/console',
      composer: 'duty1',
      now: new Date('2026-11-23T10:00:00Z'),
    });
    expect(alert.msgType).toBe(MsgType.MSG_TYPE_ALERT);
    expect(alert.info[0]!.severity).toBe(Severity.SEVERITY_SEVERE);
    expect(alert.police!.notify).toEqual([NotifyChannel.NOTIFY_CHANNEL_SMS]);
    expect(alert.note).toContain('duty1');
    expect(alert.info[0]!.expires!.toISOString()).toBe('2026-11-24T10:00:00.000Z');
  });

  it('refuses malformed fields by name, and operator-looking strings stay plain text', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /JSON object/],
      [[], /JSON object/],
      [{ to: [], event: 'e', headline: 'h' }, /to must be an object/],
      [{ to: { states: 'MH' }, event: 'e', headline: 'h' }, /to.states must be a list/],
      [{ to: { districts: ['PUNE'] }, event: 'e', headline: 'h' }, /to.districts\[0\]/],
      [{ to: { national: true }, headline: 'h' }, /event is required/],
      [{ to: { national: true }, event: 'e', headline: 'h'.repeat(201) }, /longer than 200/],
      [{ to: { national: true }, event: 'e', headline: 'h', channels: ['fax'] }, /fax/],
      [{ to: { national: true }, event: 'e', headline: 'h', msgType: 'ack' }, /msgType/],
      [{ to: { national: true }, event: 'e', headline: 'h', persons: [{}] }, /persons\[0\].name/],
    ];
    for (const [body, message] of bad) expect(() => parseBroadcastInput(body)).toThrow(message);
    const odd = parseBroadcastInput({
      to: { national: true },
      event: '{"$gt": ""}',
      headline: "'; DROP TABLE broadcasts; --",
    });
    expect(odd.headline).toBe("'; DROP TABLE broadcasts; --");
    expect(() =>
      broadcastAlert({
        input: { ...odd, severity: 'apocalyptic' },
        sender: 'hq/national/console',
        composer: 'u',
        now: new Date(),
      }),
    ).toThrow(/severity/);
  });

  it('keeps a state operator within their state, and viewers from broadcasting', () => {
    const mh = parseBroadcastInput({
      to: { states: ['MH'], districts: ['MH/PUNE'] },
      event: 'e',
      headline: 'h',
    });
    expect(() => checkBroadcastScope(mh, op('MH'))).not.toThrow();
    expect(() => checkBroadcastScope(mh, op('national'))).not.toThrow();
    expect(() => checkBroadcastScope(mh, op('KA'))).toThrow(/KA may not address MH, MH\/PUNE/);
    const all = parseBroadcastInput({ to: { national: true }, event: 'e', headline: 'h' });
    expect(() => checkBroadcastScope(all, op('MH'))).toThrow(/whole country/);
    expect(() => checkBroadcastScope(mh, op('MH', 'viewer'))).toThrow(/viewers may not/);
  });
});
