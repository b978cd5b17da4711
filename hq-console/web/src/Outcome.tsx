// What became of a broadcast, in the operator's language: waiting for approval, rejected, queued
// for the broker, or the broker's real answer (accepted with its log number, or refused and why).
import type { BroadcastView } from '../../src/server/events';
import { refusalText, t, useLang } from './i18n';

/** The broadcast's outcome as one line (`data-status` carries the status for tests and styles). */
export function Outcome({
  b,
  testId = 'broadcast-outcome',
}: {
  b: BroadcastView;
  testId?: string;
}) {
  const lang = useLang();
  let text: string;
  switch (b.status) {
    case 'accepted':
      text = t(lang, 'outcome.accepted', { seq: b.seq ?? '?' });
      break;
    case 'refused':
      text = `${t(lang, 'outcome.refused')}: ${refusalText(lang, b.refusal?.code ?? '')}`;
      break;
    case 'rejected':
      text = t(lang, 'outcome.rejected', { by: b.approver ?? '?' });
      break;
    case 'pending':
      text = t(lang, 'outcome.pending');
      break;
    default:
      text = t(lang, 'outcome.queued');
  }
  return (
    <span
      className={`outcome st-${b.status}`}
      data-testid={testId}
      data-status={b.status}
      title={b.refusal ? `${b.refusal.code}: ${b.refusal.message}` : undefined}
    >
      {text}
      {b.refusal && <span className="mono small"> ({b.refusal.code})</span>}
    </span>
  );
}
