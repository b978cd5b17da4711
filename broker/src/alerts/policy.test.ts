import { parseIdentity } from '@cctns/pki';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import { checkScope, DEFAULT_POLICY, parsePolicy, type ScopePolicy } from './policy.js';

const ok = (sender: string, targets: string[], policy?: ScopePolicy) => () =>
  checkScope(parseIdentity(sender), targets, policy);
const forbidden = (sender: string, targets: string[], policy?: ScopePolicy) =>
  expect(ok(sender, targets, policy)).toThrow(expect.objectContaining({ code: 'SCOPE_FORBIDDEN' }));

const ownStateOnly = parsePolicy({
  version: 1,
  rules: {
    ...DEFAULT_POLICY.rules,
    station: { stations: 'any', districts: 'own-state', states: 'own-state', national: false },
    'hq-state': {
      stations: 'own-state',
      districts: 'own-state',
      states: 'own-state',
      national: false,
    },
  },
});

describe('default scope policy, one test per rule', () => {
  const S = 'station/MH/PUNE/PS001';
  it('a station may address any station, in any state', () =>
    expect(ok(S, ['station/KA/BENGALURU/PS009', 'station/MH/PUNE/PS002'])).not.toThrow());
  it('a station may address districts of any state (inter-state alerts)', () =>
    expect(ok(S, ['district/KA/BENGALURU', 'district/MH/PUNE'])).not.toThrow());
  it('a station may address whole states, its own or others', () =>
    expect(ok(S, ['state/MH', 'state/KA', 'state/GJ'])).not.toThrow());
  it('a station may not broadcast nationally', () => forbidden(S, ['national']));
  it('state HQ may address any scope but national', () => {
    expect(
      ok('hq/MH/duty1', ['state/MH', 'state/KA', 'district/DL/SOUTH', 'station/TN/CHENNAI/PS1']),
    ).not.toThrow();
    forbidden('hq/MH/duty1', ['national']);
  });
  it('national HQ may broadcast nationally', () =>
    expect(ok('hq/national/duty1', ['national', 'state/MH'])).not.toThrow());
  it('an agency may address stations only', () => {
    expect(ok('agency/CBI/DELHI-HQ', ['station/MH/PUNE/PS001'])).not.toThrow();
    forbidden('agency/CBI/DELHI-HQ', ['state/MH']);
    forbidden('agency/CBI/DELHI-HQ', ['district/MH/PUNE']);
    forbidden('agency/NIA/HQ', ['national']);
  });
  it('a broker may address only stations of its own state (hit notices)', () => {
    expect(ok('broker/MH', ['station/MH/PUNE/PS001'])).not.toThrow();
    forbidden('broker/MH', ['station/KA/BENGALURU/PS001']);
    forbidden('broker/MH', ['district/MH/PUNE']);
    forbidden('broker/MH', ['state/MH']);
    forbidden('broker/national', ['station/MH/PUNE/PS001']);
  });
  it('names the forbidden target', () =>
    expect(ok(S, ['national'])).toThrow(/station\/MH\/PUNE\/PS001 may not address national/));
});

describe('a policy file restricting stations to their own state', () => {
  it('lets a station address its own state and districts', () =>
    expect(
      ok('station/MH/PUNE/PS001', ['state/MH', 'district/MH/NAGPUR'], ownStateOnly),
    ).not.toThrow());
  it('refuses another state', () => forbidden('station/MH/PUNE/PS001', ['state/KA'], ownStateOnly));
  it("refuses another state's district", () =>
    forbidden('station/MH/PUNE/PS001', ['district/KA/BENGALURU'], ownStateOnly));
  it('still allows stations anywhere when the rule says any', () =>
    expect(ok('station/MH/PUNE/PS001', ['station/KA/BENGALURU/PS1'], ownStateOnly)).not.toThrow());
  it("restricts state HQ's station reach to its own state", () =>
    forbidden('hq/MH/duty1', ['station/KA/BENGALURU/PS1'], ownStateOnly));
});

describe('parsePolicy', () => {
  it.each([
    [null, ''],
    [{ version: 2, rules: {} }, 'version'],
    [{ version: 1 }, 'rules'],
    [{ version: 1, rules: { ...DEFAULT_POLICY.rules, robot: {} } }, 'rules.robot'],
    [{ version: 1, rules: { ...DEFAULT_POLICY.rules, station: undefined } }, 'rules.station'],
    [
      {
        version: 1,
        rules: {
          ...DEFAULT_POLICY.rules,
          station: { ...DEFAULT_POLICY.rules.station, states: 'everywhere' },
        },
      },
      'rules.station.states',
    ],
    [
      {
        version: 1,
        rules: {
          ...DEFAULT_POLICY.rules,
          agency: { ...DEFAULT_POLICY.rules.agency, national: 'yes' },
        },
      },
      'rules.agency.national',
    ],
  ])('refuses %j naming %s', (doc, field) => {
    expect(() => parsePolicy(doc, 'test.json')).toThrow(BrokerError);
    expect(() => parsePolicy(doc, 'test.json')).toThrow(
      new RegExp(`test.json: ${field.replace(/\./g, '\\.')}`),
    );
  });

  it('accepts the default policy as a document', () =>
    expect(parsePolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)))).toEqual(DEFAULT_POLICY));
});
