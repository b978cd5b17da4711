import { Alert, Category, MsgType } from '@cctns/proto';
import { describe, expect, it } from 'vitest';
import {
  approvalRuleFor,
  checkApprovalTime,
  checkApprover,
  DEFAULT_APPROVAL_POLICY,
  parseApprovalPolicy,
} from './approval-policy.js';

const alert = (over: Partial<Alert> = {}, categories = [Category.CATEGORY_SECURITY]): Alert =>
  Alert.fromPartial({
    identifier: 'x',
    sender: 'hq/national/duty1',
    msgType: MsgType.MSG_TYPE_ALERT,
    info: [{ categories }],
    ...over,
  });
const P = DEFAULT_APPROVAL_POLICY;
const invalid = expect.objectContaining({ code: 'APPROVAL_INVALID' });

describe('approval policy, one test per rule', () => {
  it('every national broadcast needs approval, even when the file lists no rule', () =>
    expect(approvalRuleFor(alert(), ['national'], parseApprovalPolicy({ rules: [] }, 'p'))).toEqual(
      {
        scope: 'national',
      },
    ));
  it('an Update that inherits national targets needs approval too', () =>
    expect(
      approvalRuleFor(alert({ msgType: MsgType.MSG_TYPE_UPDATE }), ['national'], P),
    ).toBeDefined());
  it('a Cancel needs none: the sender alone may withdraw', () =>
    expect(
      approvalRuleFor(alert({ msgType: MsgType.MSG_TYPE_CANCEL }), ['national'], P),
    ).toBeUndefined());
  it("a broker's own notice needs none", () =>
    expect(approvalRuleFor(alert({ sender: 'broker/national' }), ['national'], P)).toBeUndefined());
  it('alerts to states need none by default', () =>
    expect(approvalRuleFor(alert(), ['state/MH'], P)).toBeUndefined());
  it('a rule marks alerts by scope and category', () => {
    const p = parseApprovalPolicy(
      { rules: [{ scope: 'states', categories: ['cbrne'], approvers: ['hq/*/*'] }] },
      'p',
    );
    expect(approvalRuleFor(alert({}, [Category.CATEGORY_CBRNE]), ['state/MH'], p)).toMatchObject({
      scope: 'states',
    });
    expect(approvalRuleFor(alert(), ['state/MH'], p)).toBeUndefined();
    expect(
      approvalRuleFor(alert({}, [Category.CATEGORY_CBRNE]), ['district/MH/PUNE'], p),
    ).toBeUndefined();
  });
  it('national HQ officers hold the grant; consoles, state HQ and others do not', () => {
    const rule = { scope: 'national' as const };
    expect(() => checkApprover('hq/national/duty2', rule, P)).not.toThrow();
    for (const who of ['hq/national/console', 'hq/MH/duty1', 'station/MH/PUNE/PS001'])
      expect(() => checkApprover(who, rule, P)).toThrow(invalid);
  });
  it("a rule's own approvers replace the policy's", () => {
    expect(() =>
      checkApprover('hq/MH/duty1', { scope: 'states', approvers: ['hq/MH/*'] }, P),
    ).not.toThrow();
  });
  it('an approval is fresh between the alert being composed and maxAgeMinutes later', () => {
    const sent = new Date('2026-01-10T10:00:00Z');
    const at = (min: number) => new Date(sent.getTime() + min * 60_000);
    expect(() => checkApprovalTime(at(10), sent, at(11), P)).not.toThrow();
    expect(() => checkApprovalTime(at(-30), sent, at(1), P)).toThrow(invalid);
    expect(() => checkApprovalTime(at(61), sent, at(62), P)).toThrow(invalid);
    expect(() => checkApprovalTime(at(10), sent, at(80), P)).toThrow(invalid);
    expect(() => checkApprovalTime(at(30), sent, at(10), P)).toThrow(invalid);
  });
  it('a backbone copy is judged against its signed sent time only (a state catching up)', () => {
    const sent = new Date('2026-01-10T10:00:00Z');
    expect(() =>
      checkApprovalTime(new Date(sent.getTime() + 60_000), sent, undefined, P),
    ).not.toThrow();
  });
  it('refuses malformed approval sections, naming the field', () => {
    expect(() => parseApprovalPolicy({ maxAgeMinutes: 0 }, 'p')).toThrow(/approval.maxAgeMinutes/);
    expect(() => parseApprovalPolicy({ rules: [{ scope: 'galaxy' }] }, 'p')).toThrow(
      /approval.rules\[0\].scope/,
    );
    expect(() =>
      parseApprovalPolicy({ rules: [{ scope: 'states', categories: ['x'] }] }, 'p'),
    ).toThrow(/categories/);
    expect(() => parseApprovalPolicy({ approvers: 'hq/*' }, 'p')).toThrow(/approval.approvers/);
  });
});
