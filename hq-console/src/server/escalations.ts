import { brokerErrorMessage, type BrokerClient } from './brokers.js';
import type { EscalationsSnapshot, EscalationStepView } from './events.js';

/**
 * The next escalation step of each station that has not acknowledged a recent alert (of one
 * alert, or all), as each broker in scope plans it from its chains and contacts; soonest first.
 */
export async function readEscalations(
  brokers: readonly BrokerClient[],
  alertId = '',
): Promise<EscalationsSnapshot> {
  const out: EscalationsSnapshot = { steps: [], unreachable: [] };
  await Promise.all(
    brokers.map(async (c) => {
      try {
        const res = await c.listEscalations(alertId);
        for (const s of res.steps)
          out.steps.push({
            broker: c.ref.home,
            alertId: s.alertId,
            station: s.station,
            chain: s.chain,
            step: s.step,
            dueAt: s.dueAt?.toISOString() ?? '',
            level: s.level as EscalationStepView['level'],
            roles: s.roles,
            channels: s.channels as EscalationStepView['channels'],
            recipients: s.recipients.map((r) => ({
              contactId: r.contactId,
              name: r.name,
              role: r.role,
            })),
          });
      } catch (err) {
        const error = brokerErrorMessage(err);
        // A broker without notifications configured has no chains; that is not a fault.
        if (!error.startsWith('NOTIFY_UNAVAILABLE'))
          out.unreachable.push({ state: c.ref.home, error });
      }
    }),
  );
  out.steps.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.station.localeCompare(b.station));
  return out;
}
