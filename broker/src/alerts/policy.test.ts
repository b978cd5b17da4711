import { parseIdentity } from '@cctns/pki';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import { checkScope } from './policy.js';

const allowed = (sender: string, ...targets: string[]) =>
  expect(() => checkScope(parseIdentity(sender), targets)).not.toThrow();

function forbidden(sender: string, ...targets: string[]): BrokerError {
  try {
    checkScope(parseIdentity(sender), targets);
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('SCOPE_FORBIDDEN');
    return err as BrokerError;
  }
  throw new Error(`expected ${sender} to be refused ${targets.join(', ')}`);
}

describe('checkScope: a station', () => {
  const PS = 'station/MH/PUNE/PS042';

  it('may address a station of its own district', () => {
    allowed(PS, 'station/MH/PUNE/PS001');
  });

  it('may address a station of another state', () => {
    allowed(PS, 'station/KA/BENGALURU/PS101', 'station/TN/CHENNAI/PS7');
  });

  it('may address any district of its own state', () => {
    allowed(PS, 'district/MH/PUNE', 'district/MH/NAGPUR');
  });

  it('may address the whole of its own state', () => {
    allowed(PS, 'state/MH');
  });

  it('may not address another state', () => {
    const err = forbidden(PS, 'state/KA');
    expect(err.message).toBe('station/MH/PUNE/PS042 may not address state/KA');
  });

  it('may not address a district of another state', () => {
    forbidden(PS, 'district/KA/BENGALURU');
  });

  it('may not address the whole nation', () => {
    forbidden(PS, 'national');
  });

  it('is refused when one target of many is out of scope', () => {
    const err = forbidden(PS, 'station/MH/PUNE/PS001', 'state/MH', 'district/GA/NORTH-GOA');
    expect(err.message).toContain('district/GA/NORTH-GOA');
  });

  it('may not use a prefix lookalike of its own state code', () => {
    forbidden(PS, 'state/MHX');
    forbidden(PS, 'district/MHX/PUNE');
  });
});

describe('checkScope: a state HQ operator (hq/MH/x)', () => {
  const HQ = 'hq/MH/duty1';

  it('may address its own state', () => {
    allowed(HQ, 'state/MH');
  });

  it('may address districts of its own state', () => {
    allowed(HQ, 'district/MH/PUNE');
  });

  it('may address stations anywhere', () => {
    allowed(HQ, 'station/MH/PUNE/PS1', 'station/KA/BENGALURU/PS101');
  });

  it('may not address another state (KA)', () => {
    forbidden(HQ, 'state/KA');
  });

  it('may not address a district of another state', () => {
    forbidden(HQ, 'district/KA/BENGALURU');
  });

  it('may not address the whole nation', () => {
    forbidden(HQ, 'national');
  });
});

describe('checkScope: a national HQ operator (hq/national/x)', () => {
  const NHQ = 'hq/national/duty1';

  it('may address the whole nation', () => {
    allowed(NHQ, 'national');
  });

  it('may address any state and any district', () => {
    allowed(NHQ, 'state/MH', 'state/KA', 'state/AN', 'district/TN/CHENNAI');
  });

  it('may address stations anywhere', () => {
    allowed(NHQ, 'station/KA/BENGALURU/PS101');
  });
});

describe('checkScope: an agency', () => {
  const AG = 'agency/CBI/DELHI-HQ';

  it('may address stations directly', () => {
    allowed(AG, 'station/MH/PUNE/PS1', 'station/DL/NEW-DELHI/PS9');
  });

  it('may not address a district', () => {
    forbidden(AG, 'district/MH/PUNE');
  });

  it('may not address a state', () => {
    forbidden(AG, 'state/DL');
  });

  it('may not address the whole nation', () => {
    forbidden(AG, 'national');
  });
});

describe('checkScope: a broker', () => {
  it.each([
    ['a station', 'station/MH/PUNE/PS1'],
    ['a district of its own state', 'district/MH/PUNE'],
    ['its own state', 'state/MH'],
    ['the whole nation', 'national'],
  ])('may not address %s', (_case, target) => {
    forbidden('broker/MH', target);
  });

  it('the national broker may not address the nation either', () => {
    forbidden('broker/national', 'national');
  });
});
