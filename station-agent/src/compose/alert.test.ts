import {
  Alert,
  CapScope,
  Category,
  Certainty,
  Gender,
  HandlingCode,
  MsgType,
  PersonRole,
  Severity,
  Status,
  Urgency,
  VehicleStatus,
} from '@cctns/proto';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../errors.js';
import {
  DEFAULT_ALERT_TTL_MS,
  alertFromJson,
  composeAlert,
  enumChoices,
  enumLabel,
  enumValue,
  parsePerson,
  parseVehicle,
  type ComposeInput,
} from './alert.js';

const NOW = new Date('2025-03-01T06:30:00.000Z');
const SENDER = 'station/MH/PUNE/PS042';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function inputError(f: () => unknown): AgentError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('INPUT_INVALID');
    return err as AgentError;
  }
  throw new Error('expected INPUT_INVALID, nothing was thrown');
}

const minimal = (over: Partial<ComposeInput> = {}): ComposeInput => ({
  sender: SENDER,
  to: { districts: ['MH/PUNE'] },
  event: 'Vehicle theft',
  headline: 'Stolen black motorcycle',
  now: NOW,
  ...over,
});

describe('composeAlert', () => {
  it('fills the defaults: actual alert, restricted, severe, immediate, likely, security, 7 days', () => {
    const a = composeAlert(minimal());
    expect(a).toEqual(
      Alert.fromPartial({
        identifier: a.identifier,
        sender: SENDER,
        sent: NOW,
        status: Status.STATUS_ACTUAL,
        msgType: MsgType.MSG_TYPE_ALERT,
        scope: CapScope.CAP_SCOPE_RESTRICTED,
        references: [],
        info: [
          {
            language: 'en-IN',
            categories: [Category.CATEGORY_SECURITY],
            event: 'Vehicle theft',
            urgency: Urgency.URGENCY_IMMEDIATE,
            severity: Severity.SEVERITY_SEVERE,
            certainty: Certainty.CERTAINTY_LIKELY,
            effective: NOW,
            expires: new Date(NOW.getTime() + 7 * 86_400_000),
            headline: 'Stolen black motorcycle',
            description: '',
            instruction: '',
          },
        ],
        to: { stations: [], districts: ['MH/PUNE'], states: [], national: false },
        police: {
          persons: [],
          vehicles: [],
          firReference: '',
          caseReference: '',
          modusOperandi: '',
          handling: HandlingCode.HANDLING_CODE_RESTRICTED,
        },
      }),
    );
    expect(DEFAULT_ALERT_TTL_MS).toBe(7 * 86_400_000);
  });

  it('generates a fresh UUID identifier for each alert', () => {
    const a = composeAlert(minimal());
    const b = composeAlert(minimal());
    expect(a.identifier).toMatch(UUID);
    expect(b.identifier).toMatch(UUID);
    expect(a.identifier).not.toBe(b.identifier);
  });

  it('uses every field the officer gives', () => {
    const person = parsePerson('name=रमेश कुमार;age=35;role=wanted');
    const vehicle = parseVehicle('reg=MH12AB1234;status=stolen');
    const a = composeAlert({
      sender: SENDER,
      identifier: 'MH-PUNE-PS042-2025-0107',
      msgType: 'update',
      references: ['MH-PUNE-PS042-2025-0100'],
      to: {
        stations: ['station/KA/BENGALURU/PS101'],
        districts: ['MH/SATARA'],
        states: ['GA'],
        national: true,
      },
      event: 'वाहन चोरी',
      headline: 'चोरी की मोटरसाइकिल',
      description: 'Black Hero Splendor',
      instruction: 'Stop and check',
      categories: ['security', 'transport'],
      urgency: 'expected',
      severity: 'extreme',
      certainty: 'observed',
      status: 'exercise',
      language: 'hi-IN',
      effective: new Date('2025-03-01T07:00:00Z'),
      expires: new Date('2025-03-02T07:00:00Z'),
      persons: [person],
      vehicles: [vehicle],
      firReference: 'FIR 107/2025',
      caseReference: 'CASE-42',
      modusOperandi: 'duplicate key',
      handling: 'confidential',
      now: NOW,
    });
    expect(a).toMatchObject({
      identifier: 'MH-PUNE-PS042-2025-0107',
      status: Status.STATUS_EXERCISE,
      msgType: MsgType.MSG_TYPE_UPDATE,
      references: ['MH-PUNE-PS042-2025-0100'],
      to: {
        stations: ['station/KA/BENGALURU/PS101'],
        districts: ['MH/SATARA'],
        states: ['GA'],
        national: true,
      },
      police: {
        persons: [person],
        vehicles: [vehicle],
        firReference: 'FIR 107/2025',
        caseReference: 'CASE-42',
        modusOperandi: 'duplicate key',
        handling: HandlingCode.HANDLING_CODE_CONFIDENTIAL,
      },
    });
    expect(a.info[0]).toMatchObject({
      language: 'hi-IN',
      categories: [Category.CATEGORY_SECURITY, Category.CATEGORY_TRANSPORT],
      event: 'वाहन चोरी',
      urgency: Urgency.URGENCY_EXPECTED,
      severity: Severity.SEVERITY_EXTREME,
      certainty: Certainty.CERTAINTY_OBSERVED,
      effective: new Date('2025-03-01T07:00:00Z'),
      expires: new Date('2025-03-02T07:00:00Z'),
      headline: 'चोरी की मोटरसाइकिल',
      description: 'Black Hero Splendor',
      instruction: 'Stop and check',
    });
  });

  it('survives a protobuf encode/decode round trip unchanged', () => {
    const a = composeAlert(
      minimal({
        headline: 'चोरी की मोटरसाइकिल — திருட்டு',
        persons: [parsePerson('name=रमेश;marks=scar,tattoo')],
      }),
    );
    expect(Alert.decode(Alert.encode(a).finish())).toEqual(a);
  });

  it('refuses an unknown severity with INPUT_INVALID listing the choices', () => {
    const err = inputError(() => composeAlert(minimal({ severity: 'sever' })));
    expect(err.message).toBe(
      'severity: "sever" is not one of extreme, severe, moderate, minor, unknown',
    );
  });

  it('refuses an unknown message type, status, category, urgency, certainty or handling', () => {
    for (const over of [
      { msgType: 'notice' as 'alert' },
      { status: 'real' },
      { categories: ['crime'] },
      { urgency: 'now' },
      { certainty: 'sure' },
      { handling: 'secret' },
    ])
      expect(inputError(() => composeAlert(minimal(over))).message).toContain('is not one of');
  });
});

describe('enumValue, enumChoices and enumLabel', () => {
  it('looks a name up case-insensitively', () => {
    expect(enumValue(Severity, 'SEVERITY_', 'Severe', 'severity')).toBe(Severity.SEVERITY_SEVERE);
    expect(enumValue(Severity, 'SEVERITY_', 'MINOR', 'severity')).toBe(Severity.SEVERITY_MINOR);
  });

  it('accepts hyphens and spaces for underscores', () => {
    expect(enumValue(PersonRole, 'PERSON_ROLE_', 'proclaimed-offender', 'role')).toBe(
      PersonRole.PERSON_ROLE_PROCLAIMED_OFFENDER,
    );
    expect(enumValue(PersonRole, 'PERSON_ROLE_', 'unidentified found', 'role')).toBe(
      PersonRole.PERSON_ROLE_UNIDENTIFIED_FOUND,
    );
  });

  it.each(['unspecified', 'unrecognized', '', '1'])('refuses %j', (name) => {
    inputError(() => enumValue(Severity, 'SEVERITY_', name, 'severity'));
  });

  it('names the field and lists every choice in the error', () => {
    const err = inputError(() => enumValue(Gender, 'GENDER_', 'm', 'gender'));
    expect(err.message).toBe('gender: "m" is not one of male, female, transgender, unknown');
  });

  it('enumChoices lists the lower-case names without prefix, unspecified or unrecognized', () => {
    expect(enumChoices(HandlingCode, 'HANDLING_CODE_')).toEqual([
      'open',
      'restricted',
      'confidential',
    ]);
    expect(enumChoices(Status, 'STATUS_')).toEqual([
      'actual',
      'exercise',
      'system',
      'test',
      'draft',
    ]);
  });

  it('enumLabel names a value, or says unknown', () => {
    expect(enumLabel(Severity, 'SEVERITY_', Severity.SEVERITY_SEVERE)).toBe('severe');
    expect(enumLabel(VehicleStatus, 'VEHICLE_STATUS_', 2)).toBe('recovered');
    expect(enumLabel(Severity, 'SEVERITY_', 99)).toBe('unknown');
  });
});

describe('parsePerson', () => {
  it('reads every field', () => {
    expect(
      parsePerson(
        'name=Ramesh Kumar;alias=Ramu, Ramesh Bhai;father=Suresh Kumar;mother=Sunita;age=35;' +
          'gender=male;dob=1990-04-12;role=wanted;marks=scar on left cheek,tattoo on arm;photo=ph1.jpg',
      ),
    ).toEqual({
      name: 'Ramesh Kumar',
      aliases: ['Ramu', 'Ramesh Bhai'],
      fatherName: 'Suresh Kumar',
      motherName: 'Sunita',
      gender: Gender.GENDER_MALE,
      age: 35,
      dateOfBirth: '1990-04-12',
      identifyingMarks: ['scar on left cheek', 'tattoo on arm'],
      photoRefs: ['ph1.jpg'],
      role: PersonRole.PERSON_ROLE_WANTED,
    });
  });

  it('defaults everything but the name', () => {
    expect(parsePerson('name=Unknown male')).toEqual({
      name: 'Unknown male',
      aliases: [],
      fatherName: '',
      motherName: '',
      gender: Gender.GENDER_UNSPECIFIED,
      age: 0,
      dateOfBirth: '',
      identifyingMarks: [],
      photoRefs: [],
      role: PersonRole.PERSON_ROLE_UNSPECIFIED,
    });
  });

  it('keeps Devanagari names and aliases intact', () => {
    const p = parsePerson('name=रमेश कुमार;alias=रामू, रमेश भाई;father=सुरेश कुमार');
    expect(p.name).toBe('रमेश कुमार');
    expect(p.aliases).toEqual(['रामू', 'रमेश भाई']);
    expect(p.fatherName).toBe('सुरेश कुमार');
  });

  it('trims spaces, ignores empty parts and reads keys case-insensitively', () => {
    const p = parsePerson(' Name = Ramesh ; ; AGE=40 ;Role=Missing; alias=, ,Ramu,');
    expect(p).toMatchObject({
      name: 'Ramesh',
      age: 40,
      role: PersonRole.PERSON_ROLE_MISSING,
      aliases: ['Ramu'],
    });
  });

  it('keeps an = inside a value', () => {
    expect(parsePerson('name=A=B').name).toBe('A=B');
  });

  it.each(['thirty', '-5', '35.5', '1000', ''])('refuses age=%s', (age) => {
    const err = inputError(() => parsePerson(`name=Ramesh;age=${age}`));
    expect(err.message).toContain('age');
  });

  it.each([
    ['no name', 'age=35'],
    ['an empty name', 'name=;age=35'],
    ['an empty spec', ''],
  ])('refuses %s', (_case, spec) => {
    expect(inputError(() => parsePerson(spec)).message).toBe('--person needs name=...');
  });

  it('refuses a part that is not key=value', () => {
    expect(inputError(() => parsePerson('Ramesh Kumar;age=35')).message).toContain(
      "expected key=value pairs separated by ';'",
    );
  });

  it('refuses an unknown gender or role, listing the choices', () => {
    expect(inputError(() => parsePerson('name=R;gender=x')).message).toContain('male, female');
    expect(inputError(() => parsePerson('name=R;role=boss')).message).toContain('wanted');
  });
});

describe('parseVehicle', () => {
  it('reads every field and normalises the registration', () => {
    expect(
      parseVehicle(
        'reg=mh 12-ab 1234;make=Hero;model=Splendor;colour=black;chassis=MBLHA10;engine=HA10E;status=stolen',
      ),
    ).toEqual({
      registration: 'MH12AB1234',
      chassis: 'MBLHA10',
      engine: 'HA10E',
      make: 'Hero',
      model: 'Splendor',
      colour: 'black',
      status: VehicleStatus.VEHICLE_STATUS_STOLEN,
    });
  });

  it('accepts color for colour and defaults the status', () => {
    expect(parseVehicle('reg=KA01MX0001;color=सफ़ेद')).toMatchObject({
      colour: 'सफ़ेद',
      status: VehicleStatus.VEHICLE_STATUS_UNSPECIFIED,
    });
  });

  it('accepts a vehicle known only by chassis or engine number', () => {
    expect(parseVehicle('chassis=MA3EWDE1S00123456').registration).toBe('');
    expect(parseVehicle('engine=K12MN1234567').engine).toBe('K12MN1234567');
  });

  it('refuses a vehicle without reg, chassis or engine', () => {
    expect(inputError(() => parseVehicle('make=Maruti;model=Swift')).message).toBe(
      '--vehicle needs reg=, chassis= or engine=',
    );
  });

  it('refuses an unknown status', () => {
    expect(inputError(() => parseVehicle('reg=MH12AB1234;status=lost')).message).toContain(
      'stolen, recovered, suspect, involved',
    );
  });
});

describe('alertFromJson', () => {
  const json = () => ({
    identifier: 'MH-PUNE-PS042-2025-0200',
    sent: '2025-03-01T06:00:00Z',
    status: 'STATUS_ACTUAL',
    msgType: 'MSG_TYPE_ALERT',
    scope: 'CAP_SCOPE_RESTRICTED',
    info: [
      {
        language: 'hi-IN',
        categories: ['CATEGORY_SECURITY'],
        event: 'लापता व्यक्ति',
        urgency: 'URGENCY_IMMEDIATE',
        severity: 'SEVERITY_SEVERE',
        certainty: 'CERTAINTY_OBSERVED',
        expires: '2025-03-08T06:00:00Z',
        headline: 'लापता बच्चा',
      },
    ],
    to: { districts: ['MH/PUNE'], national: false },
    police: {
      persons: [{ name: 'आरव', age: 8, gender: 'GENDER_MALE', role: 'PERSON_ROLE_MISSING' }],
      handling: 'HANDLING_CODE_RESTRICTED',
    },
  });

  it('reads the protobuf JSON form with enum names', () => {
    const a = alertFromJson(json(), SENDER, NOW);
    expect(a).toMatchObject({
      identifier: 'MH-PUNE-PS042-2025-0200',
      sender: SENDER,
      sent: new Date('2025-03-01T06:00:00Z'),
      status: Status.STATUS_ACTUAL,
      msgType: MsgType.MSG_TYPE_ALERT,
      scope: CapScope.CAP_SCOPE_RESTRICTED,
      to: { stations: [], districts: ['MH/PUNE'], states: [], national: false },
    });
    expect(a.info[0]).toMatchObject({
      categories: [Category.CATEGORY_SECURITY],
      event: 'लापता व्यक्ति',
      urgency: Urgency.URGENCY_IMMEDIATE,
      severity: Severity.SEVERITY_SEVERE,
      certainty: Certainty.CERTAINTY_OBSERVED,
      expires: new Date('2025-03-08T06:00:00Z'),
      headline: 'लापता बच्चा',
    });
    expect(a.police?.persons[0]).toMatchObject({
      name: 'आरव',
      age: 8,
      gender: Gender.GENDER_MALE,
      role: PersonRole.PERSON_ROLE_MISSING,
    });
    expect(a.police?.handling).toBe(HandlingCode.HANDLING_CODE_RESTRICTED);
  });

  it('fills in the sender when the file has none', () => {
    expect(alertFromJson(json(), SENDER, NOW).sender).toBe(SENDER);
  });

  it('accepts a file that names this station as sender', () => {
    expect(alertFromJson({ ...json(), sender: SENDER }, SENDER, NOW).sender).toBe(SENDER);
  });

  it('refuses a file that names another sender', () => {
    const err = inputError(() =>
      alertFromJson({ ...json(), sender: 'station/MH/PUNE/PS001' }, SENDER, NOW),
    );
    expect(err.message).toContain('station/MH/PUNE/PS001');
    expect(err.message).toContain(SENDER);
  });

  it('generates an identifier when the file has none', () => {
    const { identifier: _gone, ...rest } = json();
    const a = alertFromJson(rest, SENDER, NOW);
    const b = alertFromJson(rest, SENDER, NOW);
    expect(a.identifier).toMatch(UUID);
    expect(a.identifier).not.toBe(b.identifier);
  });

  it('uses now as sent time when the file has none', () => {
    const { sent: _gone, ...rest } = json();
    expect(alertFromJson(rest, SENDER, NOW).sent).toEqual(NOW);
  });

  it.each([
    ['sent', (j: ReturnType<typeof json>) => ({ ...j, sent: 'yesterday' })],
    [
      'info[0].expires',
      (j: ReturnType<typeof json>) => ({ ...j, info: [{ ...j.info[0], expires: '2025-13-45' }] }),
    ],
    [
      'info[0].effective',
      (j: ReturnType<typeof json>) => ({ ...j, info: [{ ...j.info[0], effective: 'soon' }] }),
    ],
  ])('refuses an unparseable %s with INPUT_INVALID', (field, change) => {
    expect(inputError(() => alertFromJson(change(json()), SENDER, NOW)).message).toBe(
      `the alert file's ${field} is not a date-time`,
    );
  });

  it('round-trips with composeAlert through the protobuf JSON form', () => {
    const composed = composeAlert(minimal({ headline: 'चोरी की मोटरसाइकिल' }));
    expect(alertFromJson(Alert.toJSON(composed), SENDER, NOW)).toEqual(composed);
  });

  it.each([
    ['an array', [json()]],
    ['null', null],
    ['a string', 'alert'],
    ['a number', 7],
  ])('refuses %s', (_case, value) => {
    expect(inputError(() => alertFromJson(value, SENDER, NOW)).message).toBe(
      'an alert file must hold one JSON object',
    );
  });
});
