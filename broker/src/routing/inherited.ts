import { MsgType, type Alert } from '@cctns/proto';
import type { EntryKind, LogEntry } from '../store/store.js';
import type { TargetKey } from './targets.js';

/** What finding inherited targets reads: log entries by kind and id. */
export interface EntryReader {
  get(kind: EntryKind, id: string): Promise<LogEntry | undefined>;
}

/** The targets an Update or Cancel inherits from referenced alerts known here (same sender only). */
export async function inheritedTargets(store: EntryReader, alert: Alert): Promise<TargetKey[]> {
  if (alert.msgType !== MsgType.MSG_TYPE_UPDATE && alert.msgType !== MsgType.MSG_TYPE_CANCEL)
    return [];
  const out: TargetKey[] = [];
  for (const ref of alert.references) {
    const earlier = await store.get('alert', ref);
    if (earlier && earlier.sender === alert.sender) out.push(...earlier.targets);
  }
  return out;
}
