import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { BROKER_ERRORS, InProcessStream, type Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { Gender, PersonStatus } from '@cctns/proto';
import { RecordsClient, type Agent } from '@cctns/station-agent';
import { refusalExit } from '@cctns/station-agent/cli';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import {
  enrollStation,
  makePki,
  provision,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';

// The command line of records and lookups against a real network: a national, an MH and a KA
// broker on one in-process backbone; an MH station enrolled over the network drives
// `cctns agent record …` and `cctns query …` from its agent directory, and CBI queries with its
// own certificate files through the national broker.
const dir = tempDir('records-cli');
let pki: Pki;
const brokers = new Map<string, Broker>();
let station: Agent;
let kaClient: RecordsClient;
const purpose = ['--purpose-ref', 'FIR 77/2026 PS Swargate', '--reason', 'investigation'];
const agency = (name: string) => {
  const d = join(dir, name.replace(/\//g, '_'));
  return [
    '--cert',
    join(d, 'cert.pem'),
    '--key',
    join(d, 'key.pem'),
    '--root',
    join(d, 'root.pem'),
    '--broker',
    brokers.get('national')!.addresses.grpc,
    '--identity',
    name,
  ];
};
let sdir: string;
const agent = (...args: string[]) => cctns(['agent', '--dir', sdir, ...args]);
const agentJson = async (...args: string[]) => {
  const r = await cctns(['--json', 'agent', '--dir', sdir, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA', 'CENTRAL']));
  const stream = new InProcessStream();
  for (const home of ['national', 'MH', 'KA'])
    brokers.set(
      home,
      await startBroker(dir, pki, home, { lookupTimeoutMs: 1500 }, { backbone: stream.connect() }),
    );
  station = await enrollStation(
    dir,
    pki,
    pki.unlockCa('MH', TEST_PASSPHRASE),
    brokers.get('MH')!,
    'station/MH/PUNE/PS001',
  );
  sdir = station.dir;
  const ka = join(dir, 'station_KA_BENGALURU_PS001');
  await provision(pki, pki.unlockCa('KA', TEST_PASSPHRASE), 'station/KA/BENGALURU/PS001', ka);
  kaClient = RecordsClient.fromFiles({
    identity: 'station/KA/BENGALURU/PS001',
    trustDomain: 'cctns.local',
    broker: brokers.get('KA')!.addresses.grpc,
    key: join(ka, 'key.pem'),
    cert: join(ka, 'cert.pem'),
    root: join(ka, 'root.pem'),
  });
  await kaClient.put({
    id: '',
    owner: '',
    links: [],
    externalRef: '',
    version: 0,
    kind: {
      $case: 'person',
      value: {
        name: 'Mohammed Irfan',
        aliases: [],
        fatherName: '',
        gender: Gender.GENDER_MALE,
        age: 41,
        dateOfBirth: '',
        status: PersonStatus.PERSON_STATUS_ACCUSED,
        identifyingMarks: [],
        address: '',
      },
    },
  });
  for (const name of ['agency/CBI/DELHI-HQ', 'agency/RPF/MUMBAI-DIV'])
    await provision(
      pki,
      pki.unlockCa('CENTRAL', TEST_PASSPHRASE),
      name,
      join(dir, name.replace(/\//g, '_')),
    );
}, 90_000);

afterAll(async () => {
  kaClient?.close();
  await station?.close();
  for (const b of [...brokers.values()].reverse()) await b.stop().catch(() => undefined);
  pki?.close();
});

describe('cctns agent record', () => {
  it('adds a person, a vehicle and a case, and prints id and version', async () => {
    const r = await agent(
      'record',
      'add',
      'person',
      '--name',
      'Ram Kumar',
      '--alias',
      'Ramu',
      '--alias',
      'RK',
      '--father',
      'Shyam Kumar',
      '--gender',
      'male',
      '--age',
      '34',
      '--status',
      'wanted',
      '--mark',
      'scar on left cheek',
      '--address',
      'Kasba Peth, Pune',
      '--ref',
      'LEG-1',
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('Added person:MH-1 (version 1)');
    expect(
      await agentJson(
        'record',
        'add',
        'vehicle',
        '--reg',
        'mh-12 ab 1234',
        '--make',
        'Maruti',
        '--model',
        'Swift',
        '--colour',
        'white',
        '--status',
        'stolen',
      ),
    ).toEqual({ id: 'vehicle:MH-1', version: 1, created: true });
    expect(
      await agentJson(
        'record',
        'add',
        'case',
        '--fir',
        '123/2026',
        '--section',
        'BNS 303',
        '--section',
        'BNS 61',
        '--status',
        'under-investigation',
        '--mo',
        'chain snatching by two men on a motorcycle',
        '--place',
        'FC Road',
        '--occurred',
        '2026-03-07T21:30',
        '--link',
        'person:MH-1',
      ),
    ).toEqual({ id: 'case:MH-1', version: 1, created: true });
    // Adding again with the same ref changes that record instead of making a second one.
    expect(
      await agentJson(
        'record',
        'add',
        'person',
        '--name',
        'Ram Kumar',
        '--ref',
        'LEG-1',
        '--status',
        'wanted',
        '--age',
        '34',
      ),
    ).toEqual({ id: 'person:MH-1', version: 2, created: false });
  });

  it('updates at the version read, and refuses a stale version with RECORD_CONFLICT', async () => {
    const ok = await agent(
      'record',
      'update',
      'person:MH-1',
      '--if-version',
      '2',
      '--status',
      'arrested',
      '--link',
      'case:MH-1',
      '--alias',
      'Ramu',
    );
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('Updated person:MH-1 (version 3)');
    const stale = await agent(
      'record',
      'update',
      'person:MH-1',
      '--if-version',
      '2',
      '--status',
      'wanted',
    );
    expect(stale.code).toBe(9);
    expect(stale.stderr).toMatch(
      /^error\[RECORD_CONFLICT\]: person:MH-1 was changed since version 2 \(person:MH-1 is at version 3, not 2\); nothing was saved/,
    );
    // Fields of another kind are refused before anything is sent.
    const wrong = await agent(
      'record',
      'update',
      'person:MH-1',
      '--if-version',
      '3',
      '--reg',
      'MH12',
    );
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('error[INPUT_INVALID]: --reg does not apply to a person record');
  });

  it('shows a record readably and as JSON', async () => {
    const r = await agent('record', 'show', 'person:MH-1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PERSON person:MH-1 {2}version 3, updated \d{4}-/);
    expect(r.stdout).toMatch(/ {2}owner: +station\/MH\/PUNE\/PS001\n/);
    expect(r.stdout).toMatch(/ {2}status: +arrested\n/);
    expect(r.stdout).toMatch(/ {2}aliases: +Ramu\n/);
    expect(r.stdout).toMatch(/ {2}links: +case:MH-1\n/);
    // The re-add with the same ref replaced the whole record: father and marks are gone.
    expect(r.stdout).not.toContain('father');
    const json = await agentJson('record', 'show', 'case:MH-1');
    expect(json).toMatchObject({
      id: 'case:MH-1',
      owner: 'station/MH/PUNE/PS001',
      version: 1,
      links: ['person:MH-1'],
      caseRecord: {
        firNumber: '123/2026',
        sections: ['BNS 303', 'BNS 61'],
        status: 'CASE_STATUS_UNDER_INVESTIGATION',
        place: 'FC Road',
        // 21:30 without a zone is IST.
        occurredAt: '2026-03-07T16:00:00.000Z',
      },
    });
    const car = await agentJson('record', 'show', 'vehicle:MH-1');
    expect(car).toMatchObject({
      vehicle: { registration: 'MH12AB1234', status: 'VEHICLE_RECORD_STATUS_STOLEN' },
    });
  });

  it('explains unknown ids, invalid values and the broker refusing a field', async () => {
    const unknown = await agent('record', 'show', 'person:MH-999');
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toBe('error[RECORD_UNKNOWN]: no record person:MH-999\n');
    const other = await agent('record', 'show', 'person:KA-1');
    expect(other.code).toBe(5);
    expect(other.stderr).toContain("records of KA are kept by KA's broker");
    const age = await agent('record', 'add', 'person', '--name', 'X', '--age', 'old');
    expect(age.code).toBe(3);
    expect(age.stderr).toBe('error[INPUT_INVALID]: --age: "old" is not a whole number\n');
    const long = await cctns([
      '--json',
      'agent',
      '--dir',
      sdir,
      'record',
      'add',
      'person',
      '--name',
      'N'.repeat(201),
    ]);
    expect(long.code).toBe(3);
    expect(JSON.parse(long.stderr)).toEqual({
      error: {
        code: 'FIELD_INVALID',
        message: 'person.name is longer than 200 characters',
        exit: 3,
      },
    });
    const choice = await agent('record', 'add', 'person', '--name', 'X', '--gender', 'alien');
    expect(choice.code).toBe(2);
  });
});

/**
 * A legacy export of 50 persons with Windows line ends, one address spanning three lines; the
 * lines of the rows that must be refused, with their codes.
 */
function legacyCsv(): {
  text: string;
  bad: Map<number, string>;
  noRef: { line: number; name: string };
} {
  const first = [
    'Suresh',
    'Anita',
    'Imran',
    'Lakshmi',
    'Harpreet',
    'Joseph',
    'Meena',
    'Vikram',
    'Farida',
    'Rahul',
  ];
  const last = [
    'Patil',
    'Deshmukh',
    'Shaikh',
    'Iyer',
    'Kaur',
    'Fernandes',
    'Jadhav',
    'Singh',
    'Khan',
    'More',
  ];
  const cell = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  const rows = ['ref,name,aliases,father,gender,age,dob,status,marks,address'];
  const bad = new Map<number, string>();
  let line = 2;
  const noRef = { line: 0, name: '' };
  for (let i = 0; i < 50; i++) {
    const given = first[i % 10]!;
    const family = last[(i * 3) % 10]!;
    const row = [
      `OLD-${1000 + i}`,
      `${given} ${family}`,
      i % 7 === 0 ? `${given.slice(0, 4)}u;${family}` : '',
      `${first[(i + 3) % 10]} ${family}`,
      i % 2 ? 'female' : 'male',
      String(20 + (i % 40)),
      i % 9 === 0 ? `19${70 + (i % 30)}-0${1 + (i % 9)}-1${i % 10}` : '',
      ['accused', 'wanted', 'missing', 'arrested'][i % 4]!,
      i % 5 === 0 ? 'tattoo on right arm;mole near left eye' : '',
      i === 10
        ? '12, Shivaji Nagar\r\nnear the old bus stand\r\nPune'
        : `${i + 1}, Main Road, Pune`,
    ];
    // Rows spoiled on purpose: [column, value, the code they are refused with].
    const spoil: Record<number, [number, string, string]> = {
      3: [4, 'alien', 'INPUT_INVALID'], // an unknown gender
      17: [1, '', 'FIELD_INVALID'], // no name: the broker refuses
      22: [5, '200', 'FIELD_INVALID'], // not a plausible age
      29: [6, '1990-02-30', 'INPUT_INVALID'], // no such date
      35: [10, 'one field too many', 'INPUT_INVALID'],
      41: [0, 'OLD-1040', 'INPUT_INVALID'], // the ref of the row before
    };
    const s = spoil[i];
    if (s) {
      row[s[0]] = s[1];
      bad.set(line, s[2]);
    }
    if (i === 44) {
      row[0] = ''; // no ref: <file>:<line> stands in
      noRef.line = line;
      noRef.name = row[1]!;
    }
    const text = row.map(cell).join(',');
    rows.push(text);
    line += text.split('\r\n').length;
  }
  return { text: `${rows.join('\r\n')}\r\n`, bad, noRef };
}

describe('cctns agent record import', () => {
  const csv = join(dir, 'legacy.csv');
  const report = join(dir, 'refused.csv');
  const { text, bad, noRef } = legacyCsv();

  it('imports 50 legacy rows, 8 at a time; the report lists exactly the refused rows by line', async () => {
    writeFileSync(csv, text);
    const r = await cctns([
      '--json',
      'agent',
      '--dir',
      sdir,
      'record',
      'import',
      csv,
      '--report',
      report,
      '--progress-every',
      '10',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      rows: 50,
      added: 44,
      updated: 0,
      refused: 6,
      report,
    });
    const refused = parseCsv(readFileSync(report), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(new Map(refused.map((x) => [Number(x['line']), x['code']]))).toEqual(bad);
    const byLine = new Map(refused.map((x) => [Number(x['line']), x]));
    expect(byLine.get([...bad.keys()][0]!)).toMatchObject({
      message: 'column gender: "alien" is not one of male, female, transgender, unknown',
      name: 'Lakshmi More',
      gender: 'alien',
    });
    expect(refused.map((x) => x['message'])).toEqual(
      expect.arrayContaining([
        'person.name is required',
        'person.age is not a plausible age',
        'column dob: "1990-02-30" is not a date (YYYY-MM-DD)',
        'has 11 fields, the header 10',
        expect.stringMatching(/^ref "OLD-1040" is already used on line \d+$/),
      ]),
    );
    // The row without a ref is known by the file and its line.
    const found = await cctns([
      '--json',
      'query',
      'person',
      '--dir',
      sdir,
      ...purpose,
      '--state',
      'MH',
      '--name',
      noRef.name,
    ]);
    expect(JSON.parse(found.stdout).matches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          record: expect.objectContaining({ externalRef: `legacy.csv:${noRef.line}` }),
        }),
      ]),
    );
  });

  it('updates every row on a second run instead of adding (matched by ref), with progress lines', async () => {
    const r = await agent('record', 'import', csv, '--report', report, '--progress-every', '10');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Imported .*legacy\.csv: 50 rows, 0 added, 44 updated, 6 refused \(/);
    expect(r.stdout).toContain(`Refused rows are in ${report}:`);
    // Not a terminal: plain lines every 10 rows, no redrawn bar.
    expect(r.stderr).toMatch(/^import: 10\/50 rows \(20%\), [\d.]+ rows\/s, ETA \d+s$/m);
    expect(r.stderr).not.toContain('\r');
    const refused = parseCsv(readFileSync(report), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(refused.map((x) => Number(x['line']))).toEqual([...bad.keys()]);
  });

  it('imports JSON Lines and JSON arrays with their line numbers', async () => {
    const jsonl = join(dir, 'vehicles.jsonl');
    writeFileSync(
      jsonl,
      [
        JSON.stringify({
          ref: 'V-1',
          reg: 'KA01MX2020',
          make: 'Honda',
          model: 'Activa',
          status: 'stolen',
        }),
        '',
        JSON.stringify({ ref: 'V-2', reg: 'MH14 CD 9090', colour: 'red', status: 'scrapped' }),
        '{"ref": "V-3", "reg": ',
        JSON.stringify({ ref: 'V-4', chassis: 'MA3EWDE1S00123456', status: 'recovered' }),
      ].join('\n'),
    );
    const r = await cctns([
      '--json',
      'agent',
      '--dir',
      sdir,
      'record',
      'import',
      jsonl,
      '--kind',
      'vehicle',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      rows: 4,
      added: 2,
      refused: 2,
      report: join(dir, 'vehicles.refused.csv'),
    });
    const refused = parseCsv(readFileSync(join(dir, 'vehicles.refused.csv')), {
      columns: true,
    }) as Array<Record<string, string>>;
    expect(refused.map((x) => [x['line'], x['code']])).toEqual([
      ['3', 'INPUT_INVALID'],
      ['4', 'INPUT_INVALID'],
    ]);
    const cases = join(dir, 'cases.json');
    writeFileSync(
      cases,
      JSON.stringify(
        [
          {
            ref: 'C-1',
            fir: '45/2025',
            sections: ['BNS 318', 'BNS 61'],
            mo: 'online fraud posing as bank officer',
            occurred: '2025-11-02',
          },
          { ref: 'C-2', fir: '46/2025', sections: 'BNS 303', status: 'closed', place: 'Hadapsar' },
          { ref: 'C-3', fir: '47/2025', name: 'a person or a case?' },
        ],
        null,
        2,
      ),
    );
    const c = await cctns([
      '--json',
      'agent',
      '--dir',
      sdir,
      'record',
      'import',
      cases,
      '--report',
      join(dir, 'cases-refused.csv'),
    ]);
    expect(JSON.parse(c.stdout)).toMatchObject({ rows: 3, added: 2, refused: 1 });
    // The line of the third object is where its `{` is, just before its ref.
    const lines = readFileSync(cases, 'utf8').split('\n');
    const c3 = lines.findIndex((l) => l.includes('"C-3"'));
    expect(lines[c3 - 1]!.trim()).toBe('{');
    const one = parseCsv(readFileSync(join(dir, 'cases-refused.csv')), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(one).toEqual([
      expect.objectContaining({
        line: String(c3),
        code: 'INPUT_INVALID',
        message:
          'cannot tell whether the row is a person, a vehicle or a case: give --kind or a kind column',
      }),
    ]);
  });
});

describe('cctns query', () => {
  it('finds records as the station, ranked, naming the states that answered', async () => {
    const r = await cctns([
      'query',
      'person',
      '--dir',
      sdir,
      ...purpose,
      '--state',
      'MH',
      '--state',
      'KA',
      '--name',
      'Ram Kumar',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [head, first] = r.stdout.split('\n');
    expect(head).toMatch(/^score +state +id +record +details +owner$/);
    expect(first).toMatch(
      /^1\.00 +MH +person:MH-1 +Ram Kumar +arrested; age 34; alias Ramu +station\/MH\/PUNE\/PS001$/,
    );
    expect(r.stdout).toContain('\nanswered: KA, MH\n');
    expect(r.stdout).not.toContain('NOT ANSWERED');
    const json = await cctns([
      '--json',
      'query',
      'person',
      '--dir',
      sdir,
      ...purpose,
      '--state',
      'MH,KA',
      '--name',
      'Mohd Irfan',
    ]);
    expect(JSON.parse(json.stdout)).toEqual({
      matches: [
        {
          score: expect.any(Number),
          state: 'KA',
          record: expect.objectContaining({
            id: 'person:KA-1',
            owner: 'station/KA/BENGALURU/PS001',
            person: expect.objectContaining({
              name: 'Mohammed Irfan',
              status: 'PERSON_STATUS_ACCUSED',
            }),
          }),
        },
      ],
      answered: ['KA', 'MH'],
      missing: [],
    });
  });

  it('finds records as an agency with its own certificate files, through the national broker', async () => {
    const cbi = agency('agency/CBI/DELHI-HQ');
    const car = await cctns([
      'query',
      'vehicle',
      ...cbi,
      '--purpose-ref',
      'FIR 9/2026 PS Shivajinagar',
      '--reason',
      'stolen-vehicle',
      '--state',
      'MH',
      '--state',
      'KA',
      '--reg',
      'MH12-AB-1234',
    ]);
    expect(car.stderr).toBe('');
    expect(car.stdout).toMatch(
      /^1\.00 +MH +vehicle:MH-1 +MH12AB1234 +stolen; Maruti Swift white +station\/MH\/PUNE\/PS001$/m,
    );
    const fir = await cctns([
      '--json',
      'query',
      'case',
      ...cbi,
      ...purpose,
      '--state',
      'MH,KA',
      '--fir',
      'FIR No. 0123/2026',
    ]);
    expect(JSON.parse(fir.stdout)).toMatchObject({
      matches: [
        {
          score: 1,
          state: 'MH',
          record: { id: 'case:MH-1', caseRecord: { firNumber: '123/2026' } },
        },
      ],
      answered: ['KA', 'MH'],
      missing: [],
    });
    // The identity, when given, must be the certificate's.
    const wrong = await cctns([
      'query',
      'person',
      ...agency('agency/CBI/DELHI-HQ').slice(0, -1),
      'agency/NIA/DELHI',
      ...purpose,
      '--name',
      'Ram',
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toBe(
      'error[INPUT_INVALID]: --identity agency/NIA/DELHI: the certificate is for agency/CBI/DELHI-HQ\n',
    );
  });

  it('refuses a query without a purpose, for an unknown reason or beyond the grant, with the exit codes of the broker', async () => {
    const none = await cctns(['query', 'person', '--dir', sdir, '--name', 'Ram Kumar']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(
      /^error\[PURPOSE_REQUIRED\]: a lookup must state its purpose: --purpose-ref/,
    );
    expect(none.stdout).toBe('');
    // Refused by every state broker, not by the CLI: the reason is not in the policy.
    const why = await cctns([
      '--json',
      'query',
      'person',
      ...agency('agency/CBI/DELHI-HQ'),
      '--purpose-ref',
      'FIR 1/2026',
      '--reason',
      'curiosity',
      '--state',
      'MH,KA',
      '--name',
      'Ram Kumar',
    ]);
    expect(why.code).toBe(3);
    expect(JSON.parse(why.stderr)).toEqual({
      error: {
        code: 'PURPOSE_REQUIRED',
        message: expect.stringContaining('"curiosity" is not a reason code'),
        exit: 3,
      },
    });
    const rpf = await cctns([
      'query',
      'case',
      ...agency('agency/RPF/MUMBAI-DIV'),
      ...purpose,
      '--state',
      'MH',
      '--fir',
      '123/2026',
    ]);
    expect(rpf.code).toBe(4);
    expect(rpf.stderr).toBe(
      'error[GRANT_DENIED]: agency/RPF/MUMBAI-DIV may not search case records\n',
    );
    const empty = await cctns([
      'query',
      'vehicle',
      '--dir',
      sdir,
      ...purpose,
      '--state',
      'MH',
      '--reg',
      'MH',
    ]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/^error\[QUERY_INVALID\]: a vehicle lookup needs a registration/);
  });

  it('names the states that did not answer: one never deployed, one whose broker is down', async () => {
    const tn = await cctns([
      'query',
      'person',
      '--dir',
      sdir,
      ...purpose,
      '--state',
      'MH',
      '--state',
      'TN',
      '--name',
      'Ram Kumar',
    ]);
    expect(tn.code).toBe(0);
    expect(tn.stdout).toMatch(/ person:MH-1 /);
    expect(tn.stdout).toContain('\nanswered: MH\nNOT ANSWERED: TN (NO_RESPONDER: ');
    await brokers.get('KA')!.stop();
    brokers.delete('KA');
    const ka = await cctns([
      '--json',
      'query',
      'person',
      ...agency('agency/CBI/DELHI-HQ'),
      ...purpose,
      '--state',
      'KA,MH',
      '--name',
      'Mohammed Irfan',
    ]);
    expect(JSON.parse(ka.stdout)).toEqual({
      matches: [],
      answered: ['MH'],
      missing: [{ state: 'KA', reason: 'NO_RESPONDER', message: expect.any(String) }],
    });
    // Asked nationally, the states without a broker are named, grouped by reason.
    const all = await cctns(['query', 'person', '--dir', sdir, ...purpose, '--name', 'Ram Kumar']);
    expect(all.stdout).toMatch(/\nNOT ANSWERED: AN, AP, AR, .*KA, .*WB \(NO_RESPONDER, e\.g\. /);
  });

  it('says when the broker cannot be reached', async () => {
    const cbi = agency('agency/CBI/DELHI-HQ');
    cbi[cbi.indexOf('--broker') + 1] = '127.0.0.1:1';
    const r = await cctns(['query', 'person', ...cbi, ...purpose, '--name', 'Ram']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^error\[BROKER_UNREACHABLE\]: cannot reach the broker at 127\.0\.0\.1:1: /,
    );
  });
});

describe('broker refusals on the command line', () => {
  it.each(Object.entries(BROKER_ERRORS))(
    '%s exits as the broker catalogue says',
    (code, { grpc, exit }) => {
      expect([code, status[grpc], refusalExit(code, grpc)]).toEqual([code, status[grpc], exit]);
    },
  );
});
