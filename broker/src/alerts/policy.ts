import { formatIdentity, stateOfIdentity, type Identity } from '@cctns/pki';
import { BrokerError } from '../errors.js';
import type { TargetKey } from './targets.js';

/**
 * Who may address what. Stations: any station directly, districts and the whole of their own
 * state. State HQ: anything within its state, and stations anywhere. National HQ: anything,
 * including national broadcasts. Agencies: stations directly. Brokers originate nothing.
 */
export function checkScope(sender: Identity, targets: readonly TargetKey[]): void {
  const own = stateOfIdentity(sender);
  for (const t of targets) {
    if (t.startsWith('station/')) {
      if (sender.kind !== 'broker') continue;
    } else if (sender.kind === 'hq' && sender.state === 'national') {
      continue;
    } else if ((sender.kind === 'station' || sender.kind === 'hq') && own) {
      if (t === `state/${own}` || t.startsWith(`district/${own}/`)) continue;
    }
    throw new BrokerError('SCOPE_FORBIDDEN', `${formatIdentity(sender)} may not address ${t}`);
  }
}
