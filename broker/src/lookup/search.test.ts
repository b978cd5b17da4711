import { Gender, PersonStatus, Record as RecordMsg, type LookupRequest } from '@cctns/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordKeys } from '../records/keys.js';
import { KEY_VERSION } from '../records/names.js';
import { nameData } from '../records/prepared.js';
import { SqliteBrokerStore } from '../store/sqlite.js';
import type { LookupGrant } from './policy.js';
import { searchLocal } from './search.js';

const OWNER = 'station/MH/PUNE/PS001';
const GRANT: LookupGrant = { who: 'agency/CBI/*', kinds: ['person'], states: 'any' };

function person(name: string, aliases: string[] = [], fatherName = ''): RecordMsg {
  return RecordMsg.fromPartial({
    kind: {
      $case: 'person',
      value: {
        name,
        aliases,
        fatherName,
        gender: Gender.GENDER_MALE,
        age: 30,
        status: PersonStatus.PERSON_STATUS_WANTED,
      },
    },
  });
}

function lookup(name: string, fatherName = ''): LookupRequest {
  return {
    id: 'q',
    caller: 'agency/CBI/DELHI-HQ',
    purpose: { reference: 'RC 1', reason: 'investigation' },
    states: [],
    limit: 20,
    issuedAt: new Date(),
    query: {
      $case: 'person',
      value: { name, fatherName, ageFrom: 0, ageTo: 0, gender: 0, district: '', status: 0 },
    },
  };
}

describe('searchLocal on names prepared at write time', () => {
  let store: SqliteBrokerStore;
  beforeEach(() => {
    store = new SqliteBrokerStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  /** Puts `r` as the record service does, with `names` in place of the prepared names if given. */
  async function put(r: RecordMsg, names: string | null = nameData(r) ?? null): Promise<string> {
    const res = await store.putRecord({
      kind: 'person',
      owner: OWNER,
      district: 'PUNE',
      status: PersonStatus.PERSON_STATUS_WANTED,
      gender: Gender.GENDER_MALE,
      age: 30,
      keys: recordKeys(r),
      ...(names !== null ? { names } : {}),
      encode: (id, version, at) =>
        RecordMsg.encode({ ...r, id, owner: OWNER, version, updatedAt: at }).finish(),
      at: new Date(),
      state: 'MH',
    });
    return res.id;
  }

  const search = (name: string, father = '') =>
    searchLocal(store, lookup(name, father), GRANT, 'MH', 100);

  it('finds a person by name, alias and spelling, and scores the father named in the query', async () => {
    const id = await put(person('राम कुमार', ['Pappu'], 'Suresh Kumar'));
    expect((await search('Ram Kumaar')).map((m) => m.record?.id)).toEqual([id]);
    expect((await search('Pappu')).map((m) => m.score)).toEqual([1]);
    expect((await search('Ram Kumar', 'Suresh Kumar'))[0]?.score).toBe(1);
    expect((await search('Ram Kumar', 'Mahesh Yadav'))[0]?.score).toBeLessThan(0.8);
  });

  it('scores the names stored with a record, not its name prepared again', async () => {
    // Stored names that disagree with the body (and its keys) show which one is scored.
    const id = await put(person('Ramesh Kumar'), nameData(person('Ramesh Kumar', ['Pappu']))!);
    expect((await search('Ramesh Kumar')).map((m) => m.record?.id)).toEqual([id]);
    await put(person('Kumar Swamy'), nameData(person('Anil Verma'))!);
    expect(await search('Kumar Swamy')).toEqual([]);
  });

  it('prepares a record written without names, or under other key rules, from its body', async () => {
    const old = await put(person('Sunil Yadav'), null);
    const stale = await put(
      person('Sunil Yadav', [], 'Ramesh'),
      JSON.stringify({ v: KEY_VERSION + 1, n: [] }),
    );
    const broken = await put(person('Sunil Yadav'), '{"v":');
    const found = await search('Suneel Yadav', 'Ramesh');
    expect(found.map((m) => m.record?.id).sort()).toEqual([old, stale, broken].sort());
    // The father's name is read from the body too: the stale record names the same father.
    expect(found[0]?.record?.id).toBe(stale);
  });
});
