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
  type Info,
} from '@cctns/proto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AgentError } from '../errors.js';
import { enumValue, parsePerson, parseVehicle } from './alert.js';

/**
 * Reads an OASIS CAP 1.2 XML alert. CAP has no police fields or station addressing, so they ride
 * in CAP's own extension points:
 * - `<addresses>`: space-separated targets — station identities, `district/MH/PUNE`, `state/MH`, `national`;
 * - `<parameter>` in the first `<info>` with valueName `cctns:fir`, `cctns:case`, `cctns:mo`,
 *   `cctns:handling`, `cctns:person` and `cctns:vehicle` (same syntax as the CLI's --person/--vehicle).
 * `<references>` entries are `sender,identifier,sent`; the identifier is what links alerts here.
 */
export function parseCapXml(xml: string, sender: string, now: Date): Alert {
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) =>
      [
        'info',
        'category',
        'area',
        'parameter',
        'geocode',
        'polygon',
        'circle',
        'responseType',
        'eventCode',
      ].includes(name),
    processEntities: true,
  });
  // XMLParser is lenient (unclosed or mismatched tags parse); check well-formedness first.
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true)
    throw new AgentError(
      'INPUT_INVALID',
      `not well-formed CAP XML: ${wellFormed.err.msg} (line ${wellFormed.err.line})`,
    );
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (cause) {
    throw new AgentError('INPUT_INVALID', `not well-formed CAP XML: ${(cause as Error).message}`, {
      cause,
    });
  }
  const a = doc['alert'] as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object')
    throw new AgentError('INPUT_INVALID', 'no <alert> element: not a CAP 1.2 document');
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const date = (v: unknown, field: string) => {
    if (!v) return undefined;
    const d = new Date(s(v));
    if (Number.isNaN(d.getTime()))
      throw new AgentError(
        'INPUT_INVALID',
        `CAP ${field} ${JSON.stringify(s(v))} is not a date-time`,
      );
    return d;
  };
  if (a['sender'] && s(a['sender']) !== sender)
    throw new AgentError(
      'INPUT_INVALID',
      `the CAP file names sender ${s(a['sender'])}, but this station is ${sender}`,
    );
  const to = {
    stations: [] as string[],
    districts: [] as string[],
    states: [] as string[],
    national: false,
  };
  for (const t of s(a['addresses']).split(/\s+/).filter(Boolean)) {
    if (t === 'national') to.national = true;
    else if (t.startsWith('district/')) to.districts.push(t.slice(9));
    else if (t.startsWith('state/')) to.states.push(t.slice(6));
    else to.stations.push(t);
  }
  const police = {
    persons: [] as ReturnType<typeof parsePerson>[],
    vehicles: [] as ReturnType<typeof parseVehicle>[],
    firReference: '',
    caseReference: '',
    modusOperandi: '',
    handling: HandlingCode.HANDLING_CODE_RESTRICTED,
  };
  const infos: Info[] = ((a['info'] as Array<Record<string, unknown>> | undefined) ?? []).map(
    (i, idx) => {
      for (const p of (i['parameter'] as Array<Record<string, unknown>> | undefined) ?? []) {
        const name = s(p['valueName']);
        const value = s(p['value']);
        if (idx !== 0 || !name.startsWith('cctns:')) continue;
        if (name === 'cctns:fir') police.firReference = value;
        else if (name === 'cctns:case') police.caseReference = value;
        else if (name === 'cctns:mo') police.modusOperandi = value;
        else if (name === 'cctns:handling')
          police.handling = enumValue(HandlingCode, 'HANDLING_CODE_', value, 'cctns:handling');
        else if (name === 'cctns:person') police.persons.push(parsePerson(value));
        else if (name === 'cctns:vehicle') police.vehicles.push(parseVehicle(value));
      }
      const effective = date(i['effective'], 'effective');
      const expires = date(i['expires'], 'expires');
      return {
        language: s(i['language']) || 'en-US',
        categories: ((i['category'] as unknown[]) ?? []).map((c) =>
          enumValue(Category, 'CATEGORY_', s(c), 'category'),
        ),
        event: s(i['event']),
        urgency: enumValue(Urgency, 'URGENCY_', s(i['urgency']) || 'unknown', 'urgency'),
        severity: enumValue(Severity, 'SEVERITY_', s(i['severity']) || 'unknown', 'severity'),
        certainty: enumValue(Certainty, 'CERTAINTY_', s(i['certainty']) || 'unknown', 'certainty'),
        ...(effective ? { effective } : {}),
        ...(expires ? { expires } : {}),
        senderName: s(i['senderName']),
        headline: s(i['headline']),
        description: s(i['description']),
        instruction: s(i['instruction']),
        contact: s(i['contact']),
        areas: ((i['area'] as Array<Record<string, unknown>> | undefined) ?? []).map((ar) => ({
          areaDesc: s(ar['areaDesc']),
          polygons: ((ar['polygon'] as unknown[]) ?? []).map(s),
          circles: ((ar['circle'] as unknown[]) ?? []).map(s),
          geocodes: ((ar['geocode'] as Array<Record<string, unknown>>) ?? []).map((g) => ({
            valueName: s(g['valueName']),
            value: s(g['value']),
          })),
        })),
      };
    },
  );
  const references = s(a['references'])
    .split(/\s+/)
    .filter(Boolean)
    .map((r) => r.split(',')[1] ?? r);
  return Alert.fromPartial({
    identifier: s(a['identifier']) || randomUUID(),
    sender,
    sent: date(a['sent'], 'sent') ?? now,
    status: enumValue(Status, 'STATUS_', s(a['status']) || 'actual', 'status'),
    msgType: enumValue(MsgType, 'MSG_TYPE_', s(a['msgType']) || 'alert', 'msgType'),
    scope: a['scope']
      ? enumValue(CapScope, 'CAP_SCOPE_', s(a['scope']), 'scope')
      : CapScope.CAP_SCOPE_RESTRICTED,
    references,
    note: s(a['note']),
    info: infos,
    to,
    police,
  });
}
