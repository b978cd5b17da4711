import { randomUUID } from 'node:crypto';
import {
  Alert,
  CapScope,
  Category,
  Certainty,
  HandlingCode,
  MsgType,
  Severity,
  Status,
  Urgency,
} from '@cctns/proto';
import type { Hit } from './service.js';

/** How long a hit notice stays deliverable. */
const HIT_NOTICE_TTL_MS = 7 * 86_400_000;

/**
 * The notice a broker sends the station that owns a record a lookup found (wanted, missing,
 * stolen): who searched, with which certificate identity, for which case and reason, and when.
 * Signed by the broker, addressed to that one station.
 */
export function hitNotice(hit: Hit, broker: string): Alert {
  return Alert.fromPartial({
    identifier: `hit-${randomUUID()}`,
    sender: broker,
    sent: hit.at,
    status: Status.STATUS_ACTUAL,
    msgType: MsgType.MSG_TYPE_ALERT,
    scope: CapScope.CAP_SCOPE_PRIVATE,
    info: [
      {
        language: 'en-IN',
        categories: [Category.CATEGORY_SECURITY],
        event: 'Lookup hit',
        urgency: Urgency.URGENCY_IMMEDIATE,
        severity: Severity.SEVERITY_MODERATE,
        certainty: Certainty.CERTAINTY_OBSERVED,
        effective: hit.at,
        expires: new Date(hit.at.getTime() + HIT_NOTICE_TTL_MS),
        headline: `Lookup hit: your ${hit.status} record ${hit.recordId} (${hit.label})`.slice(
          0,
          200,
        ),
        description: [
          `${hit.caller} found your record ${hit.recordId} (${hit.label}, ${hit.status}).`,
          `Purpose: ${hit.purpose.reference} (${hit.purpose.reason}).`,
          `Lookup ${hit.lookupId} at ${hit.at.toISOString()}.`,
        ].join('\n'),
        instruction: 'Contact the searching unit if the record is still current.',
      },
    ],
    to: { stations: [hit.owner] },
    police: { handling: HandlingCode.HANDLING_CODE_CONFIDENTIAL },
  });
}
