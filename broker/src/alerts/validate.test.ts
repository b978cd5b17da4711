import {
  Alert,
  CapScope,
  Category,
  Certainty,
  Gender,
  HandlingCode,
  MsgType,
  PersonRole,
  Receipt,
  ReceiptKind,
  Severity,
  Status,
  Urgency,
  VehicleStatus,
} from '@cctns/proto';
import { describe, expect, it } from 'vitest';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import {
  CONTENT_LIMITS,
  MAX_CLOCK_SKEW_MS,
  decode,
  expiryOf,
  validateAlert,
  validateReceipt,
} from './validate.js';

const NOW = new Date('2025-03-01T06:30:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;
const later = (ms: number) => new Date(NOW.getTime() + ms);

/** A complete, valid alert as a Pune station would send it; tests break one thing at a time. */
function goodAlert(): Alert {
  return Alert.fromPartial({
    identifier: 'MH-PUNE-PS042-2025-0001',
    sender: 'station/MH/PUNE/PS042',
    sent: NOW,
    status: Status.STATUS_ACTUAL,
    msgType: MsgType.MSG_TYPE_ALERT,
    scope: CapScope.CAP_SCOPE_RESTRICTED,
    references: [],
    note: '',
    info: [
      {
        language: 'hi-IN',
        categories: [Category.CATEGORY_SECURITY],
        event: 'वाहन चोरी',
        urgency: Urgency.URGENCY_IMMEDIATE,
        severity: Severity.SEVERITY_SEVERE,
        certainty: Certainty.CERTAINTY_LIKELY,
        effective: NOW,
        expires: later(7 * DAY),
        senderName: 'Pune PS 42',
        headline: 'चोरी की मोटरसाइकिल',
        description: 'Black Hero Splendor stolen near Shivajinagar',
        instruction: 'Stop and check',
        contact: '020-1234567',
        areas: [{ areaDesc: 'Pune city' }],
      },
    ],
    to: { stations: ['station/MH/NAGPUR/PS010'], districts: ['MH/PUNE'] },
    police: {
      persons: [
        {
          name: 'रमेश कुमार',
          aliases: ['Ramu'],
          age: 35,
          gender: Gender.GENDER_MALE,
          role: PersonRole.PERSON_ROLE_WANTED,
          identifyingMarks: ['scar on left cheek'],
        },
      ],
      vehicles: [{ registration: 'MH12AB1234', status: VehicleStatus.VEHICLE_STATUS_STOLEN }],
      firReference: 'FIR 107/2025',
      handling: HandlingCode.HANDLING_CODE_RESTRICTED,
    },
  });
}

/** The good alert with `change` applied. */
function alertWith(change: (a: Alert) => void): Alert {
  const a = goodAlert();
  change(a);
  return a;
}

const info0 = (a: Alert) => a.info[0]!;
const police = (a: Alert) => a.police!;
const person0 = (a: Alert) => a.police!.persons[0]!;

function refusal(f: () => unknown): BrokerError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError, nothing was thrown');
}

function expectRefused(alert: Alert, code: BrokerErrorCode, field: string): void {
  const err = refusal(() => validateAlert(alert, NOW));
  expect(err.code).toBe(code);
  expect(err.message).toContain(field);
}

const many = <T>(n: number, item: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => item(i));

describe('validateAlert accepts', () => {
  it('a complete, valid alert', () => {
    expect(() => validateAlert(goodAlert(), NOW)).not.toThrow();
  });

  it('the same alert after a protobuf encode/decode round trip', () => {
    const decoded = Alert.decode(Alert.encode(goodAlert()).finish());
    expect(() => validateAlert(decoded, NOW)).not.toThrow();
  });

  it('an identifier of exactly the maximum length with every allowed character', () => {
    const id = `A0._:@-${'x'.repeat(CONTENT_LIMITS.identifier - 7)}`;
    expect(id).toHaveLength(CONTENT_LIMITS.identifier);
    expect(() =>
      validateAlert(
        alertWith((a) => (a.identifier = id)),
        NOW,
      ),
    ).not.toThrow();
  });

  it('sent a little ahead of the broker clock (within the tolerated skew)', () => {
    const a = alertWith((a) => (a.sent = later(MAX_CLOCK_SKEW_MS)));
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('an update with a reference', () => {
    const a = alertWith((a) => {
      a.msgType = MsgType.MSG_TYPE_UPDATE;
      a.references = ['MH-PUNE-PS042-2025-0000'];
    });
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('a cancel with a reference and no info block', () => {
    const a = alertWith((a) => {
      a.msgType = MsgType.MSG_TYPE_CANCEL;
      a.references = ['MH-PUNE-PS042-2025-0000'];
      a.info = [];
    });
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('expires equal to effective', () => {
    const a = alertWith((a) => (info0(a).expires = info0(a).effective));
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('an alert without police details or addressing (checked elsewhere)', () => {
    const a = alertWith((a) => {
      a.police = undefined;
      a.to = undefined;
    });
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('unspecified optional police enums (handling, gender, role, vehicle status)', () => {
    const a = alertWith((a) => {
      police(a).handling = HandlingCode.HANDLING_CODE_UNSPECIFIED;
      person0(a).gender = Gender.GENDER_UNSPECIFIED;
      person0(a).role = PersonRole.PERSON_ROLE_UNSPECIFIED;
      police(a).vehicles[0]!.status = VehicleStatus.VEHICLE_STATUS_UNSPECIFIED;
    });
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });

  it('exactly the maximum number of persons, and a person aged 150', () => {
    const a = alertWith((a) => {
      police(a).persons = many(CONTENT_LIMITS.persons, (i) => ({ ...person0(a), name: `P${i}` }));
      person0(a).age = 150;
    });
    expect(() => validateAlert(a, NOW)).not.toThrow();
  });
});

describe('validateAlert refuses the header', () => {
  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(CONTENT_LIMITS.identifier + 1)],
    ['starting with a dot', '.hidden'],
    ['with a space', 'MH PUNE 1'],
    ['with a slash', 'MH/PUNE/1'],
    ['with Devanagari', 'अलर्ट-1'],
  ])('an identifier %s with FIELD_INVALID', (_case, identifier) => {
    expectRefused(
      alertWith((a) => (a.identifier = identifier)),
      'FIELD_INVALID',
      'identifier',
    );
  });

  it('a missing sent time with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.sent = undefined)),
      'FIELD_INVALID',
      'sent is required',
    );
  });

  it('sent far in the future with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.sent = later(DAY))),
      'FIELD_INVALID',
      'sent is in the future',
    );
  });

  it('sent just beyond the tolerated clock skew with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.sent = later(MAX_CLOCK_SKEW_MS + 1))),
      'FIELD_INVALID',
      'sent is in the future',
    );
  });

  it('an unspecified status with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.status = Status.STATUS_UNSPECIFIED)),
      'FIELD_INVALID',
      'status is required',
    );
  });

  it('an unknown numeric status with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (a.status = 99 as Status)),
      'ENUM_UNKNOWN',
      'status has an unknown value 99',
    );
  });

  it('status UNRECOGNIZED (-1) with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (a.status = Status.UNRECOGNIZED)),
      'ENUM_UNKNOWN',
      'status',
    );
  });

  it('an unspecified msgType with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.msgType = MsgType.MSG_TYPE_UNSPECIFIED)),
      'FIELD_INVALID',
      'msgType',
    );
  });

  it('an unknown numeric msgType with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (a.msgType = 42 as MsgType)),
      'ENUM_UNKNOWN',
      'msgType',
    );
  });

  it('an unspecified scope with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.scope = CapScope.CAP_SCOPE_UNSPECIFIED)),
      'FIELD_INVALID',
      'scope',
    );
  });

  it('scope UNRECOGNIZED (-1) with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (a.scope = CapScope.UNRECOGNIZED)),
      'ENUM_UNKNOWN',
      'scope',
    );
  });

  it('too many references with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => {
        a.msgType = MsgType.MSG_TYPE_UPDATE;
        a.references = many(CONTENT_LIMITS.listItems + 1, (i) => `REF-${i}`);
      }),
      'FIELD_INVALID',
      'references',
    );
  });

  it('a note longer than the text limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.note = 'n'.repeat(CONTENT_LIMITS.text + 1))),
      'FIELD_INVALID',
      'note',
    );
  });

  it('an update without references with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.msgType = MsgType.MSG_TYPE_UPDATE)),
      'FIELD_INVALID',
      'must reference',
    );
  });

  it('a cancel without references with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.msgType = MsgType.MSG_TYPE_CANCEL)),
      'FIELD_INVALID',
      'must reference',
    );
  });

  it('an alert without an info block with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.info = [])),
      'FIELD_INVALID',
      'at least one info',
    );
  });

  it('more info blocks than the limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (a.info = many(CONTENT_LIMITS.infos + 1, () => ({ ...info0(a) })))),
      'FIELD_INVALID',
      'info has more than',
    );
  });

  it('more addressed entries than the limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith(
        (a) =>
          (a.to!.stations = many(CONTENT_LIMITS.addressed + 1, (i) => `station/MH/PUNE/PS${i}`)),
      ),
      'FIELD_INVALID',
      'to has more than',
    );
  });
});

describe('validateAlert refuses an info block', () => {
  it('without categories with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (info0(a).categories = [])),
      'FIELD_INVALID',
      'info[0].categories is required',
    );
  });

  it('with an unknown numeric category with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (info0(a).categories = [Category.CATEGORY_SECURITY, 77 as Category])),
      'ENUM_UNKNOWN',
      'info[0].categories',
    );
  });

  it('with an unspecified category with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (info0(a).categories = [Category.CATEGORY_UNSPECIFIED])),
      'FIELD_INVALID',
      'info[0].categories',
    );
  });

  it('without an event with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (info0(a).event = '')),
      'FIELD_INVALID',
      'info[0].event is required',
    );
  });

  it('with an unspecified urgency with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (info0(a).urgency = Urgency.URGENCY_UNSPECIFIED)),
      'FIELD_INVALID',
      'info[0].urgency',
    );
  });

  it('with an unknown numeric severity with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (info0(a).severity = 6 as Severity)),
      'ENUM_UNKNOWN',
      'info[0].severity has an unknown value 6',
    );
  });

  it('with severity UNRECOGNIZED (-1) with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (info0(a).severity = Severity.UNRECOGNIZED)),
      'ENUM_UNKNOWN',
      'info[0].severity',
    );
  });

  it('with an unknown numeric certainty with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (info0(a).certainty = 12 as Certainty)),
      'ENUM_UNKNOWN',
      'info[0].certainty',
    );
  });

  it('in the second block, naming that block', () => {
    expectRefused(
      alertWith((a) => (a.info = [info0(a), { ...info0(a), event: '' }])),
      'FIELD_INVALID',
      'info[1].event',
    );
  });

  it.each(['language', 'event', 'senderName', 'headline', 'contact'] as const)(
    'with a %s longer than the short-text limit with FIELD_INVALID',
    (field) => {
      expectRefused(
        alertWith((a) => (info0(a)[field] = 'क'.repeat(CONTENT_LIMITS.shortText + 1))),
        'FIELD_INVALID',
        `info[0].${field} is longer than ${CONTENT_LIMITS.shortText}`,
      );
    },
  );

  it.each(['description', 'instruction'] as const)(
    'with a %s longer than the text limit with FIELD_INVALID',
    (field) => {
      expectRefused(
        alertWith((a) => (info0(a)[field] = 'x'.repeat(CONTENT_LIMITS.text + 1))),
        'FIELD_INVALID',
        `info[0].${field}`,
      );
    },
  );

  it('with more areas than the list limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith(
        (a) =>
          (info0(a).areas = many(CONTENT_LIMITS.listItems + 1, (i) => ({
            areaDesc: `area ${i}`,
            polygons: [],
            circles: [],
            geocodes: [],
          }))),
      ),
      'FIELD_INVALID',
      'info[0].areas',
    );
  });

  it('that expires before it is effective with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => {
        info0(a).effective = later(DAY);
        info0(a).expires = later(DAY - 1);
      }),
      'FIELD_INVALID',
      'info[0].expires is before effective',
    );
  });
});

describe('validateAlert refuses police details', () => {
  it('with an unknown numeric handling code with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (police(a).handling = 9 as HandlingCode)),
      'ENUM_UNKNOWN',
      'police.handling',
    );
  });

  it('with too many persons with FIELD_INVALID', () => {
    expectRefused(
      alertWith(
        (a) =>
          (police(a).persons = many(CONTENT_LIMITS.persons + 1, (i) => ({
            ...person0(a),
            name: `P${i}`,
          }))),
      ),
      'FIELD_INVALID',
      `police.persons has more than ${CONTENT_LIMITS.persons}`,
    );
  });

  it('with too many vehicles with FIELD_INVALID', () => {
    expectRefused(
      alertWith(
        (a) =>
          (police(a).vehicles = many(CONTENT_LIMITS.vehicles + 1, () => ({
            ...police(a).vehicles[0]!,
          }))),
      ),
      'FIELD_INVALID',
      'police.vehicles',
    );
  });

  it('with a modus operandi longer than the text limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (police(a).modusOperandi = 'm'.repeat(CONTENT_LIMITS.text + 1))),
      'FIELD_INVALID',
      'police.modusOperandi',
    );
  });

  it.each(['firReference', 'caseReference'] as const)(
    'with a %s longer than the short-text limit with FIELD_INVALID',
    (field) => {
      expectRefused(
        alertWith((a) => (police(a)[field] = 'r'.repeat(CONTENT_LIMITS.shortText + 1))),
        'FIELD_INVALID',
        `police.${field}`,
      );
    },
  );

  it('with a person of unknown gender value with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (person0(a).gender = 12 as Gender)),
      'ENUM_UNKNOWN',
      'police.persons[0].gender',
    );
  });

  it('with a person whose role is UNRECOGNIZED (-1) with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (person0(a).role = PersonRole.UNRECOGNIZED)),
      'ENUM_UNKNOWN',
      'police.persons[0].role',
    );
  });

  it('with a person name longer than the short-text limit with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (person0(a).name = 'र'.repeat(CONTENT_LIMITS.shortText + 1))),
      'FIELD_INVALID',
      'police.persons[0].name',
    );
  });

  it.each(['aliases', 'identifyingMarks', 'photoRefs'] as const)(
    'with a person having too many %s with FIELD_INVALID',
    (field) => {
      expectRefused(
        alertWith((a) => (person0(a)[field] = many(CONTENT_LIMITS.listItems + 1, (i) => `v${i}`))),
        'FIELD_INVALID',
        `police.persons[0].${field}`,
      );
    },
  );

  it('with a person aged over 150 with FIELD_INVALID', () => {
    expectRefused(
      alertWith((a) => (person0(a).age = 151)),
      'FIELD_INVALID',
      'police.persons[0].age',
    );
  });

  it('with a vehicle of unknown status value with ENUM_UNKNOWN', () => {
    expectRefused(
      alertWith((a) => (police(a).vehicles[0]!.status = 8 as VehicleStatus)),
      'ENUM_UNKNOWN',
      'police.vehicles[0].status',
    );
  });
});

describe('validateAlert on decoded bytes', () => {
  it('refuses an unknown severity that arrived over the wire with ENUM_UNKNOWN', () => {
    const bytes = Alert.encode(alertWith((a) => (info0(a).severity = 23 as Severity))).finish();
    const decoded = Alert.decode(bytes);
    expect(decoded.info[0]?.severity).toBe(23);
    expectRefused(decoded, 'ENUM_UNKNOWN', 'info[0].severity');
  });

  it('decode maps undecodable bytes to MALFORMED', () => {
    const err = refusal(() => decode(Alert, Uint8Array.from([0x0a, 0xff, 0xff, 0xff]), 'alert'));
    expect(err.code).toBe('MALFORMED');
    expect(err.message).toBe('the alert cannot be decoded');
  });

  it('decode returns the message for good bytes', () => {
    const bytes = Alert.encode(goodAlert()).finish();
    expect(decode(Alert, bytes, 'alert')).toEqual(goodAlert());
  });
});

describe('expiryOf', () => {
  it('is null for an alert without info blocks', () => {
    expect(expiryOf(alertWith((a) => (a.info = [])))).toBeNull();
  });

  it('is the expires of a single info block', () => {
    expect(expiryOf(goodAlert())).toEqual(later(7 * DAY));
  });

  it('is the latest expires of several info blocks', () => {
    const a = alertWith(
      (a) =>
        (a.info = [
          { ...info0(a), expires: later(DAY) },
          { ...info0(a), expires: later(3 * DAY) },
          { ...info0(a), expires: later(2 * DAY) },
        ]),
    );
    expect(expiryOf(a)).toEqual(later(3 * DAY));
  });

  it('is null (never) when any info block lacks expires', () => {
    const a = alertWith(
      (a) =>
        (a.info = [
          { ...info0(a), expires: later(DAY) },
          { ...info0(a), expires: undefined },
        ]),
    );
    expect(expiryOf(a)).toBeNull();
  });
});

describe('validateReceipt', () => {
  const good = () =>
    Receipt.fromPartial({
      alertId: 'MH-PUNE-PS042-2025-0001',
      station: 'station/MH/NAGPUR/PS010',
      kind: ReceiptKind.RECEIPT_KIND_ACKNOWLEDGED,
      at: NOW,
      note: 'टीम रवाना',
    });
  const receiptRefusal = (r: Receipt) => refusal(() => validateReceipt(r, NOW));

  it('accepts a good receipt', () => {
    expect(() => validateReceipt(good(), NOW)).not.toThrow();
  });

  it('refuses a missing alertId with FIELD_INVALID', () => {
    expect(receiptRefusal({ ...good(), alertId: '' })).toMatchObject({
      code: 'FIELD_INVALID',
      message: 'alertId is required',
    });
  });

  it('refuses an alertId longer than an identifier may be with FIELD_INVALID', () => {
    expect(
      receiptRefusal({ ...good(), alertId: 'a'.repeat(CONTENT_LIMITS.identifier + 1) }).code,
    ).toBe('FIELD_INVALID');
  });

  it('refuses an unspecified kind with FIELD_INVALID', () => {
    expect(receiptRefusal({ ...good(), kind: ReceiptKind.RECEIPT_KIND_UNSPECIFIED })).toMatchObject(
      { code: 'FIELD_INVALID', message: 'kind is required' },
    );
  });

  it('refuses an unknown numeric kind with ENUM_UNKNOWN', () => {
    expect(receiptRefusal({ ...good(), kind: 7 as ReceiptKind }).code).toBe('ENUM_UNKNOWN');
  });

  it('refuses kind UNRECOGNIZED (-1) with ENUM_UNKNOWN', () => {
    expect(receiptRefusal({ ...good(), kind: ReceiptKind.UNRECOGNIZED }).code).toBe('ENUM_UNKNOWN');
  });

  it('refuses a missing time with FIELD_INVALID', () => {
    expect(receiptRefusal({ ...good(), at: undefined })).toMatchObject({
      code: 'FIELD_INVALID',
      message: 'at is required',
    });
  });

  it('refuses a time beyond the clock skew with FIELD_INVALID', () => {
    expect(receiptRefusal({ ...good(), at: later(MAX_CLOCK_SKEW_MS + MIN) })).toMatchObject({
      code: 'FIELD_INVALID',
      message: 'at is in the future',
    });
  });

  it('refuses a note longer than the short-text limit with FIELD_INVALID', () => {
    expect(
      receiptRefusal({ ...good(), note: 'n'.repeat(CONTENT_LIMITS.shortText + 1) }).message,
    ).toContain('note');
  });
});
