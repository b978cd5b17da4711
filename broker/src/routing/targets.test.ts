import { parseIdentity } from '@cctns/pki';
import { Addressing } from '@cctns/proto';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import { listenKeys, stationKeys, statesOfTargets, targetsOf } from './targets.js';

/** Runs `f` and returns the BrokerError it throws (fails the test when it throws none). */
function refusal(f: () => unknown): BrokerError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError, nothing was thrown');
}

const to = (a: Partial<Addressing>) => Addressing.fromPartial(a);

describe('targetsOf', () => {
  it('returns [] for no addressing block', () => {
    expect(targetsOf(undefined)).toEqual([]);
  });

  it('returns [] for an empty addressing block', () => {
    expect(targetsOf(to({}))).toEqual([]);
  });

  it('keys a station by its identity', () => {
    expect(targetsOf(to({ stations: ['station/MH/PUNE/PS042'] }))).toEqual([
      'station/MH/PUNE/PS042',
    ]);
  });

  it('keys a district as district/<STATE>/<DISTRICT>', () => {
    expect(targetsOf(to({ districts: ['MH/PUNE'] }))).toEqual(['district/MH/PUNE']);
  });

  it('keys a state as state/<STATE>', () => {
    expect(targetsOf(to({ states: ['KA'] }))).toEqual(['state/KA']);
  });

  it('keys a national broadcast as national', () => {
    expect(targetsOf(to({ national: true }))).toEqual(['national']);
  });

  it('combines every kind of target into one sorted list', () => {
    expect(
      targetsOf(
        to({
          stations: ['station/TN/CHENNAI/PS7', 'station/KA/BENGALURU-URBAN/PS101'],
          districts: ['MH/PUNE', 'GA/NORTH-GOA'],
          states: ['MH', 'DL'],
          national: true,
        }),
      ),
    ).toEqual([
      'district/GA/NORTH-GOA',
      'district/MH/PUNE',
      'national',
      'state/DL',
      'state/MH',
      'station/KA/BENGALURU-URBAN/PS101',
      'station/TN/CHENNAI/PS7',
    ]);
  });

  it('removes duplicates', () => {
    expect(
      targetsOf(
        to({
          stations: ['station/MH/PUNE/PS1', 'station/MH/PUNE/PS1'],
          districts: ['MH/PUNE', 'MH/PUNE'],
          states: ['MH', 'MH'],
        }),
      ),
    ).toEqual(['district/MH/PUNE', 'state/MH', 'station/MH/PUNE/PS1']);
  });

  it.each([
    ['not an identity at all', 'PS042'],
    ['a lower-case state', 'station/mh/PUNE/PS1'],
    ['an unknown state code', 'station/XX/PUNE/PS1'],
    ['a missing station segment', 'station/MH/PUNE'],
    ['an empty string', ''],
  ])('refuses a malformed station (%s) with FIELD_INVALID', (_case, station) => {
    const err = refusal(() => targetsOf(to({ stations: [station] })));
    expect(err.code).toBe('FIELD_INVALID');
    expect(err.message).toContain('station');
  });

  it.each(['hq/MH/duty1', 'broker/MH', 'agency/CBI/HQ'])(
    'refuses a non-station identity %s among stations with FIELD_INVALID',
    (identity) => {
      const err = refusal(() => targetsOf(to({ stations: [identity] })));
      expect(err.code).toBe('FIELD_INVALID');
      expect(err.message).toContain('is not a station');
    },
  );

  it.each([
    ['no district part', 'MH'],
    ['an unknown state', 'XX/PUNE'],
    ['a lower-case district', 'MH/pune'],
    ['a key prefix', 'district/MH/PUNE'],
    ['a trailing hyphen', 'MH/PUNE-'],
    ['an empty district', 'MH/'],
  ])('refuses a malformed district (%s) with FIELD_INVALID', (_case, district) => {
    const err = refusal(() => targetsOf(to({ districts: [district] })));
    expect(err.code).toBe('FIELD_INVALID');
    expect(err.message).toContain('STATE/DISTRICT');
  });

  it.each([
    ['an unknown code', 'XX'],
    ['a lower-case code', 'mh'],
    ['a key prefix', 'state/MH'],
    ['a state name', 'Maharashtra'],
    ['an empty string', ''],
  ])('refuses a malformed state (%s) with FIELD_INVALID', (_case, state) => {
    const err = refusal(() => targetsOf(to({ states: [state] })));
    expect(err.code).toBe('FIELD_INVALID');
    expect(err.message).toContain('State/UT');
  });

  it('clips a very long malformed entry in the refusal message', () => {
    const err = refusal(() => targetsOf(to({ districts: [`MH/${'X'.repeat(5_000)}`] })));
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('stationKeys and listenKeys', () => {
  it('a station listens on itself, its district, its state and national', () => {
    const id = parseIdentity('station/MH/PUNE/PS042');
    if (id.kind !== 'station') throw new Error('not a station');
    expect(stationKeys(id)).toEqual([
      'station/MH/PUNE/PS042',
      'district/MH/PUNE',
      'state/MH',
      'national',
    ]);
  });

  it('listenKeys of a station are its stationKeys', () => {
    expect(listenKeys(parseIdentity('station/KA/BENGALURU/PS101'))).toEqual([
      'station/KA/BENGALURU/PS101',
      'district/KA/BENGALURU',
      'state/KA',
      'national',
    ]);
  });

  it.each(['hq/MH/duty1', 'hq/national/duty1', 'agency/CBI/HQ', 'broker/MH'])(
    'a non-station identity %s listens only on its own identity',
    (identity) => {
      expect(listenKeys(parseIdentity(identity))).toEqual([identity]);
    },
  );

  it('a station finds a district broadcast of its own district among its keys', () => {
    const targets = targetsOf(to({ districts: ['MH/PUNE'] }));
    const mine = listenKeys(parseIdentity('station/MH/PUNE/PS1'));
    const other = listenKeys(parseIdentity('station/MH/NAGPUR/PS1'));
    expect(mine.some((k) => targets.includes(k))).toBe(true);
    expect(other.some((k) => targets.includes(k))).toBe(false);
  });
});

describe('statesOfTargets', () => {
  it('returns the state of each kind of key, deduplicated and sorted', () => {
    expect(
      statesOfTargets([
        'station/TN/CHENNAI/PS7',
        'district/KA/BENGALURU',
        'state/MH',
        'station/MH/PUNE/PS1',
        'district/MH/PUNE',
      ]),
    ).toEqual(['KA', 'MH', 'TN']);
  });

  it("returns '*' for national", () => {
    expect(statesOfTargets(['national', 'state/GA'])).toEqual(['*', 'GA']);
  });

  it('ignores keys of other identities and returns [] for none', () => {
    expect(statesOfTargets(['hq/MH/duty1', 'agency/CBI/HQ'])).toEqual([]);
    expect(statesOfTargets([])).toEqual([]);
  });
});
