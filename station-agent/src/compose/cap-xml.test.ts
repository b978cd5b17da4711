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
import { parseCapXml } from './cap-xml.js';

const SENDER = 'station/MH/PUNE/PS042';
const NOW = new Date('2025-03-01T06:30:00.000Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A realistic CAP 1.2 update from a Pune station, with the cctns extension parameters. */
const CAP = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>MH-PUNE-PS042-2025-0107</identifier>
  <sender>station/MH/PUNE/PS042</sender>
  <sent>2025-03-01T12:00:00+05:30</sent>
  <status>Actual</status>
  <msgType>Update</msgType>
  <scope>Restricted</scope>
  <addresses>station/MH/NAGPUR/PS010 station/KA/BENGALURU/PS101
    district/MH/SATARA state/GA national</addresses>
  <note>Suspect sighted on the highway</note>
  <references>station/MH/PUNE/PS042,MH-PUNE-PS042-2025-0100,2025-02-28T09:00:00+05:30 station/MH/PUNE/PS042,MH-PUNE-PS042-2025-0101,2025-02-28T10:00:00+05:30</references>
  <info>
    <language>hi-IN</language>
    <category>Security</category>
    <category>Transport</category>
    <event>वाहन चोरी</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <effective>2025-03-01T12:00:00+05:30</effective>
    <expires>2025-03-08T12:00:00+05:30</expires>
    <senderName>पुणे पुलिस थाना 42</senderName>
    <headline>चोरी की मोटरसाइकिल &amp; संदिग्ध</headline>
    <description>काली हीरो स्प्लेंडर, शिवाजीनगर से चोरी</description>
    <instruction>Stop and check; inform PS042</instruction>
    <contact>020-25501234</contact>
    <parameter><valueName>cctns:fir</valueName><value>FIR 107/2025</value></parameter>
    <parameter><valueName>cctns:case</valueName><value>CASE-42</value></parameter>
    <parameter><valueName>cctns:mo</valueName><value>duplicate key, night time</value></parameter>
    <parameter><valueName>cctns:handling</valueName><value>confidential</value></parameter>
    <parameter><valueName>cctns:person</valueName><value>name=रमेश कुमार;alias=रामू;age=35;gender=male;role=wanted</value></parameter>
    <parameter><valueName>cctns:person</valueName><value>name=Suresh;role=suspect</value></parameter>
    <parameter><valueName>cctns:vehicle</valueName><value>reg=MH 12 AB 1234;make=Hero;model=Splendor;colour=black;status=stolen</value></parameter>
    <parameter><valueName>EAS-ORG</valueName><value>LAE</value></parameter>
    <area>
      <areaDesc>Pune city, Shivajinagar</areaDesc>
      <polygon>18.50,73.80 18.55,73.80 18.55,73.88 18.50,73.80</polygon>
      <circle>18.53,73.85 5</circle>
      <geocode><valueName>PIN</valueName><value>411005</value></geocode>
    </area>
  </info>
</alert>
`;

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

describe('parseCapXml', () => {
  it('reads a realistic CAP 1.2 document into the right alert', () => {
    expect(parseCapXml(CAP, SENDER, NOW)).toEqual(
      Alert.fromPartial({
        identifier: 'MH-PUNE-PS042-2025-0107',
        sender: SENDER,
        sent: new Date('2025-03-01T06:30:00Z'),
        status: Status.STATUS_ACTUAL,
        msgType: MsgType.MSG_TYPE_UPDATE,
        scope: CapScope.CAP_SCOPE_RESTRICTED,
        references: ['MH-PUNE-PS042-2025-0100', 'MH-PUNE-PS042-2025-0101'],
        note: 'Suspect sighted on the highway',
        info: [
          {
            language: 'hi-IN',
            categories: [Category.CATEGORY_SECURITY, Category.CATEGORY_TRANSPORT],
            event: 'वाहन चोरी',
            urgency: Urgency.URGENCY_IMMEDIATE,
            severity: Severity.SEVERITY_SEVERE,
            certainty: Certainty.CERTAINTY_LIKELY,
            effective: new Date('2025-03-01T06:30:00Z'),
            expires: new Date('2025-03-08T06:30:00Z'),
            senderName: 'पुणे पुलिस थाना 42',
            headline: 'चोरी की मोटरसाइकिल & संदिग्ध',
            description: 'काली हीरो स्प्लेंडर, शिवाजीनगर से चोरी',
            instruction: 'Stop and check; inform PS042',
            contact: '020-25501234',
            areas: [
              {
                areaDesc: 'Pune city, Shivajinagar',
                polygons: ['18.50,73.80 18.55,73.80 18.55,73.88 18.50,73.80'],
                circles: ['18.53,73.85 5'],
                geocodes: [{ valueName: 'PIN', value: '411005' }],
              },
            ],
          },
        ],
        to: {
          stations: ['station/MH/NAGPUR/PS010', 'station/KA/BENGALURU/PS101'],
          districts: ['MH/SATARA'],
          states: ['GA'],
          national: true,
        },
        police: {
          persons: [
            {
              name: 'रमेश कुमार',
              aliases: ['रामू'],
              age: 35,
              gender: Gender.GENDER_MALE,
              role: PersonRole.PERSON_ROLE_WANTED,
            },
            { name: 'Suresh', role: PersonRole.PERSON_ROLE_SUSPECT },
          ],
          vehicles: [
            {
              registration: 'MH12AB1234',
              make: 'Hero',
              model: 'Splendor',
              colour: 'black',
              status: VehicleStatus.VEHICLE_STATUS_STOLEN,
            },
          ],
          firReference: 'FIR 107/2025',
          caseReference: 'CASE-42',
          modusOperandi: 'duplicate key, night time',
          handling: HandlingCode.HANDLING_CODE_CONFIDENTIAL,
        },
      }),
    );
  });

  it('keeps the Hindi headline intact through protobuf encoding', () => {
    const a = parseCapXml(CAP, SENDER, NOW);
    expect(Alert.decode(Alert.encode(a).finish()).info[0]?.headline).toBe(
      'चोरी की मोटरसाइकिल & संदिग्ध',
    );
  });

  it('reads a document whose elements carry a namespace prefix', () => {
    const prefixed = `<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
      <cap:identifier>P-1</cap:identifier><cap:status>Exercise</cap:status><cap:msgType>Alert</cap:msgType>
      <cap:addresses>state/MH</cap:addresses>
      <cap:info><cap:category>Rescue</cap:category><cap:event>Missing child</cap:event>
        <cap:urgency>Expected</cap:urgency><cap:severity>Moderate</cap:severity><cap:certainty>Possible</cap:certainty>
      </cap:info></cap:alert>`;
    const a = parseCapXml(prefixed, SENDER, NOW);
    expect(a).toMatchObject({
      identifier: 'P-1',
      status: Status.STATUS_EXERCISE,
      to: { states: ['MH'] },
    });
    expect(a.info[0]).toMatchObject({
      categories: [Category.CATEGORY_RESCUE],
      urgency: Urgency.URGENCY_EXPECTED,
      severity: Severity.SEVERITY_MODERATE,
      certainty: Certainty.CERTAINTY_POSSIBLE,
    });
  });

  it('fills what a minimal document leaves out: identifier, sender, sent, status, type, scope, handling', () => {
    const a = parseCapXml(
      '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><info><event>x</event></info></alert>',
      SENDER,
      NOW,
    );
    expect(a.identifier).toMatch(UUID);
    expect(a).toMatchObject({
      sender: SENDER,
      sent: NOW,
      status: Status.STATUS_ACTUAL,
      msgType: MsgType.MSG_TYPE_ALERT,
      scope: CapScope.CAP_SCOPE_RESTRICTED,
      references: [],
      to: { stations: [], districts: [], states: [], national: false },
      police: { handling: HandlingCode.HANDLING_CODE_RESTRICTED, persons: [], vehicles: [] },
    });
    expect(a.info[0]).toMatchObject({
      language: 'en-US',
      urgency: Urgency.URGENCY_UNKNOWN,
      severity: Severity.SEVERITY_UNKNOWN,
      certainty: Certainty.CERTAINTY_UNKNOWN,
    });
    expect(a.info[0]?.effective).toBeUndefined();
    expect(a.info[0]?.expires).toBeUndefined();
  });

  it('reads cctns parameters only from the first info block', () => {
    const twoInfos = CAP.replace(
      '</info>',
      `</info>
  <info>
    <language>en-IN</language><category>Security</category><event>Vehicle theft</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <parameter><valueName>cctns:fir</valueName><value>OTHER</value></parameter>
    <parameter><valueName>cctns:person</valueName><value>name=Ignored</value></parameter>
  </info>`,
    );
    const a = parseCapXml(twoInfos, SENDER, NOW);
    expect(a.info).toHaveLength(2);
    expect(a.info[1]?.event).toBe('Vehicle theft');
    expect(a.police?.firReference).toBe('FIR 107/2025');
    expect(a.police?.persons.map((p) => p.name)).toEqual(['रमेश कुमार', 'Suresh']);
  });

  it('takes the bare identifier when a reference is not in sender,id,sent form', () => {
    const a = parseCapXml(
      CAP.replace(/<references>.*<\/references>/, '<references>MH-OLD-1</references>'),
      SENDER,
      NOW,
    );
    expect(a.references).toEqual(['MH-OLD-1']);
  });

  it.each([
    ['an unclosed root', '<alert><identifier>X-1</identifier>'],
    ['a mismatched closing tag', '<alert><identifier>X-1</alert>'],
    ['a truncated document', CAP.slice(0, CAP.indexOf('<area>'))],
    ['plain text', 'this is not xml'],
    ['an empty file', ''],
  ])('refuses malformed XML (%s) with INPUT_INVALID', (_case, xml) => {
    inputError(() => parseCapXml(xml, SENDER, NOW));
  });

  it('says the XML is not well-formed for a document that breaks off', () => {
    expect(
      inputError(() => parseCapXml('<alert><identifier>X-1</alert>', SENDER, NOW)).message,
    ).toMatch(/^not well-formed CAP XML/);
  });

  it('refuses a well-formed document whose root is not a CAP alert', () => {
    const err = inputError(() =>
      parseCapXml(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>',
        SENDER,
        NOW,
      ),
    );
    expect(err.message).toBe('no <alert> element: not a CAP 1.2 document');
  });

  it("refuses a misspelt severity ('Sever') with INPUT_INVALID listing the choices", () => {
    const err = inputError(() =>
      parseCapXml(
        CAP.replace('<severity>Severe</severity>', '<severity>Sever</severity>'),
        SENDER,
        NOW,
      ),
    );
    expect(err.message).toBe(
      'severity: "Sever" is not one of extreme, severe, moderate, minor, unknown',
    );
  });

  it.each([
    ['status', '<status>Actual</status>', '<status>Real</status>'],
    ['msgType', '<msgType>Update</msgType>', '<msgType>Notice</msgType>'],
    ['scope', '<scope>Restricted</scope>', '<scope>Secret</scope>'],
    ['category', '<category>Transport</category>', '<category>Crime</category>'],
    ['urgency', '<urgency>Immediate</urgency>', '<urgency>Now</urgency>'],
    ['certainty', '<certainty>Likely</certainty>', '<certainty>Sure</certainty>'],
    ['cctns:handling', '<value>confidential</value>', '<value>top-secret</value>'],
  ])('refuses an unknown %s with INPUT_INVALID', (field, good, bad) => {
    expect(CAP).toContain(good);
    expect(inputError(() => parseCapXml(CAP.replace(good, bad), SENDER, NOW)).message).toContain(
      `${field}: `,
    );
  });

  it.each([
    ['sent', '<sent>2025-03-01T12:00:00+05:30</sent>', '<sent>yesterday</sent>'],
    [
      'effective',
      '<effective>2025-03-01T12:00:00+05:30</effective>',
      '<effective>soon</effective>',
    ],
    [
      'expires',
      '<expires>2025-03-08T12:00:00+05:30</expires>',
      '<expires>2025-13-45T99:00</expires>',
    ],
  ])('refuses a bad %s date with INPUT_INVALID', (field, good, bad) => {
    expect(CAP).toContain(good);
    expect(inputError(() => parseCapXml(CAP.replace(good, bad), SENDER, NOW)).message).toContain(
      `CAP ${field}`,
    );
  });

  it('refuses a bad cctns:person parameter with INPUT_INVALID', () => {
    expect(
      inputError(() => parseCapXml(CAP.replace('age=35', 'age=old'), SENDER, NOW)).message,
    ).toContain('age');
  });

  it('refuses a document that names another station as sender', () => {
    const err = inputError(() => parseCapXml(CAP, 'station/MH/PUNE/PS001', NOW));
    expect(err.message).toBe(
      'the CAP file names sender station/MH/PUNE/PS042, but this station is station/MH/PUNE/PS001',
    );
  });
});
