import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { approvalOf, openAlert, parseDuration, readTextFile, unverifiedPayload } from '@cctns/pki';
import { collect, intOption, outputOf, when, untilStopSignal } from '@cctns/pki/cli';
import {
  Alert as AlertCodec,
  Category,
  Certainty,
  Gender,
  HandlingCode,
  MsgType,
  PersonRole,
  Severity,
  Status,
  Urgency,
  VehicleStatus,
  type Alert,
} from '@cctns/proto';
import { pino } from 'pino';
import { Agent } from '../agent.js';
import {
  alertFromJson,
  composeAlert,
  enumChoices,
  enumLabel,
  parsePerson,
  parseVehicle,
} from '../compose/alert.js';
import { parseCapXml } from '../compose/cap-xml.js';
import { enroll } from '../enroll.js';
import { AgentError } from '../errors.js';
import { refusalOf } from './records-support.js';
import { registerRecordCommands } from './record-commands.js';
import { registerSealedCommands } from './sealed-commands.js';

/** Default agent directory: `$CCTNS_AGENT_DIR`, else `./data/agent`. */
export function defaultAgentDir(): string {
  return process.env['CCTNS_AGENT_DIR'] ?? join('data', 'agent');
}

function agentDir(cmd: Command): string {
  return resolve(cmd.optsWithGlobals().dir as string);
}

async function withAgent<T>(cmd: Command, fn: (agent: Agent) => Promise<T> | T): Promise<T> {
  const agent = Agent.open(agentDir(cmd), { logger: pino({ level: 'silent' }) });
  try {
    return await fn(agent);
  } finally {
    await agent.close();
  }
}

/** Human text for an alert as an officer reads it. */
export function describeAlert(alert: Alert): string {
  const lines: string[] = [];
  lines.push(`${enumLabel(MsgType, 'MSG_TYPE_', alert.msgType).toUpperCase()} ${alert.identifier}`);
  lines.push(
    `  from:      ${alert.sender}`,
    `  sent:      ${alert.sent ? when(alert.sent) : '-'}`,
    `  status:    ${enumLabel(Status, 'STATUS_', alert.status)}`,
  );
  const approval = approvalOf(alert);
  if (approval)
    lines.push(
      `  approved:  ${approval.approver}${approval.approvedAt ? ` at ${when(approval.approvedAt)}` : ''}`,
    );
  if (alert.references.length) lines.push(`  refers to: ${alert.references.join(', ')}`);
  for (const i of alert.info) {
    lines.push(`  ${i.headline || i.event}`);
    lines.push(
      `    event ${i.event}; ${enumLabel(Severity, 'SEVERITY_', i.severity)}, ${enumLabel(Urgency, 'URGENCY_', i.urgency)}, ${enumLabel(Certainty, 'CERTAINTY_', i.certainty)}; ${i.categories.map((c) => enumLabel(Category, 'CATEGORY_', c)).join(', ')}; language ${i.language || 'en-US'}`,
    );
    if (i.expires) lines.push(`    expires ${when(i.expires)}`);
    if (i.description) lines.push(`    ${i.description}`);
    if (i.instruction) lines.push(`    instruction: ${i.instruction}`);
  }
  const p = alert.police;
  if (p) {
    if (p.firReference || p.caseReference)
      lines.push(`  FIR ${p.firReference || '-'}  case ${p.caseReference || '-'}`);
    if (p.modusOperandi) lines.push(`  modus operandi: ${p.modusOperandi}`);
    for (const person of p.persons) {
      const bits = [
        person.aliases.length ? `alias ${person.aliases.join(', ')}` : '',
        person.fatherName ? `father ${person.fatherName}` : '',
        person.age ? `age ${person.age}` : '',
        person.gender ? enumLabel(Gender, 'GENDER_', person.gender) : '',
        person.role ? enumLabel(PersonRole, 'PERSON_ROLE_', person.role) : '',
      ].filter(Boolean);
      lines.push(
        `  person: ${person.name}${bits.length ? ` (${bits.join('; ')})` : ''}${person.identifyingMarks.length ? `; marks: ${person.identifyingMarks.join(', ')}` : ''}`,
      );
    }
    for (const v of p.vehicles) {
      lines.push(
        `  vehicle: ${[v.registration, v.make, v.model, v.colour].filter(Boolean).join(' ')}${v.status ? ` (${enumLabel(VehicleStatus, 'VEHICLE_STATUS_', v.status)})` : ''}${v.chassis ? ` chassis ${v.chassis}` : ''}${v.engine ? ` engine ${v.engine}` : ''}`,
      );
    }
    lines.push(`  handling: ${enumLabel(HandlingCode, 'HANDLING_CODE_', p.handling)}`);
  }
  return lines.join('\n');
}

/** Who approved a stored (already verified) alert, if anyone. */
function approverOf(jws: string): string | null {
  try {
    const alert = AlertCodec.decode(unverifiedPayload(jws));
    return approvalOf(alert)?.approver ?? null;
  } catch {
    return null;
  }
}

/** True when an alert needs a second officer's approval whatever the broker's policy adds. */
function isNationalBroadcast(alert: Alert): boolean {
  return Boolean(alert.to?.national) && alert.msgType !== MsgType.MSG_TYPE_CANCEL;
}

/** Registers `cctns agent …` on the umbrella program. */
export function registerAgentCommands(program: Command): Command {
  const group = program
    .command('agent')
    .description(
      "the station agent: enroll, run the link, the officer's commands (send, inbox, show, ack, status) and the station's records",
    )
    .addOption(
      new Option('--dir <dir>', 'agent directory')
        .env('CCTNS_AGENT_DIR')
        .default(defaultAgentDir()),
    );

  group
    .command('enroll')
    .description(
      'make the station key here and obtain the certificate from the broker with a one-time token',
    )
    .requiredOption('--broker <host:port>', "the broker's station-link address")
    .option(
      '--enroll <host:port>',
      "the broker's enrollment address (default: the broker's port + 1)",
    )
    .option('--token <token>', 'one-time enrollment token')
    .option('--token-file <file>', 'read the token from a file')
    .requiredOption('--root <file>', 'the national root certificate, from the state IT team')
    .action(
      async (
        opts: { broker: string; enroll?: string; token?: string; tokenFile?: string; root: string },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const token =
          opts.token ??
          (opts.tokenFile ? readTextFile(opts.tokenFile, 'the token file').trim() : undefined);
        if (!token)
          throw new AgentError(
            'INPUT_INVALID',
            'give the enrollment token with --token or --token-file',
          );
        const m = /^(.*):(\d+)$/.exec(opts.broker);
        if (!m) throw new AgentError('INPUT_INVALID', '--broker must be host:port');
        const enrollAddress = opts.enroll ?? `${m[1]}:${Number(m[2]) + 1}`;
        const dir = agentDir(cmd);
        const r = await enroll({
          dir,
          broker: opts.broker,
          enrollAddress,
          token,
          rootPem: readTextFile(opts.root, 'the root certificate'),
        });
        out.result(
          [
            `Enrolled ${r.identity}`,
            `  certificate serial ${r.serial}, valid until ${r.notAfter ? when(r.notAfter) : '-'}`,
            `  directory ${dir}`,
            `Next: cctns agent run --dir ${dir}`,
          ].join('\n'),
          {
            identity: r.identity,
            serial: r.serial,
            notAfter: r.notAfter?.toISOString(),
            renewAfter: r.renewAfter?.toISOString(),
            dir,
            broker: r.broker,
          },
        );
      },
    );

  group
    .command('run')
    .description(
      'keep the link to the broker: deliver the outbox, receive alerts and receipts, renew the certificate (until SIGINT/SIGTERM)',
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .action(async (opts: { logLevel: string }, cmd: Command) => {
      const agent = Agent.open(agentDir(cmd), { logger: pino({ level: opts.logLevel }) });
      const stopped = untilStopSignal();
      agent.run();
      await stopped;
      await agent.close();
    });

  group
    .command('send')
    .description(
      'sign an alert as this station and queue it for the broker (from flags, or --file with JSON or CAP XML)',
    )
    .option('--file <file>', 'alert as JSON (protobuf JSON form) or CAP 1.2 XML')
    .option('--to-station <identity>', 'address a station (repeatable)', collect, [])
    .option(
      '--to-district <STATE/DISTRICT>',
      'address a district, e.g. MH/PUNE (repeatable)',
      collect,
      [],
    )
    .option('--to-state <STATE>', 'address a whole State/UT (repeatable)', collect, [])
    .option('--national', 'address every station (national HQ only)')
    .option('--event <text>', 'what happened, e.g. "Armed robbery"')
    .option('--headline <text>', 'one line for the inbox')
    .option('--description <text>', 'details')
    .option('--instruction <text>', 'what receiving stations should do')
    .addOption(
      new Option('--severity <level>')
        .choices(enumChoices(Severity, 'SEVERITY_'))
        .default('severe'),
    )
    .addOption(
      new Option('--urgency <level>')
        .choices(enumChoices(Urgency, 'URGENCY_'))
        .default('immediate'),
    )
    .addOption(
      new Option('--certainty <level>')
        .choices(enumChoices(Certainty, 'CERTAINTY_'))
        .default('likely'),
    )
    .addOption(
      new Option('--category <name>', 'CAP category (repeatable)')
        .choices(enumChoices(Category, 'CATEGORY_'))
        .argParser(collect),
    )
    .addOption(
      new Option('--status <status>').choices(enumChoices(Status, 'STATUS_')).default('actual'),
    )
    .option('--expires <duration>', 'how long it stays relevant, e.g. 6h, 7d', '7d')
    .option('--language <tag>', 'language of the text, e.g. hi-IN', 'en-IN')
    .option(
      '--person <spec>',
      'person: "name=...;alias=a,b;father=...;age=35;gender=male;role=wanted;marks=..." (repeatable)',
      collect,
      [],
    )
    .option(
      '--vehicle <spec>',
      'vehicle: "reg=MH12AB1234;make=...;model=...;colour=...;chassis=...;engine=...;status=stolen" (repeatable)',
      collect,
      [],
    )
    .option('--fir <reference>', 'FIR reference')
    .option('--case <reference>', 'case reference')
    .option('--mo <text>', 'modus operandi')
    .addOption(
      new Option('--handling <code>')
        .choices(enumChoices(HandlingCode, 'HANDLING_CODE_'))
        .default('restricted'),
    )
    .option('--update <alertId>', 'send as an Update of an earlier alert of this station')
    .option('--cancel <alertId>', 'send as a Cancel of an earlier alert of this station')
    .option('--wait <duration>', 'wait until the broker accepts or refuses it, e.g. 10s')
    .option(
      '--approval',
      "have a second HQ officer approve it first (always so for --national; for alerts the broker's policy marks)",
    )
    .option(
      '--approval-wait <duration>',
      'how long to wait for the approval (the draft waits at the broker meanwhile)',
      '15m',
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const now = new Date();
        let alert: Alert;
        const file = opts['file'] as string | undefined;
        if (file) {
          const text = readTextFile(file, 'the alert file');
          alert = /^\s*</.test(text)
            ? parseCapXml(text, agent.identity, now)
            : (() => {
                let json: unknown;
                try {
                  json = JSON.parse(text);
                } catch (cause) {
                  throw new AgentError('INPUT_INVALID', `${file} is neither JSON nor CAP XML`, {
                    cause,
                  });
                }
                return alertFromJson(json, agent.identity, now);
              })();
        } else {
          const update = opts['update'] as string | undefined;
          const cancel = opts['cancel'] as string | undefined;
          const event = opts['event'] as string | undefined;
          if (!event && !cancel)
            throw new AgentError('INPUT_INVALID', 'give --event (and --headline), or --file');
          alert = composeAlert({
            sender: agent.identity,
            now,
            ...(update || cancel
              ? { msgType: update ? 'update' : 'cancel', references: [(update ?? cancel)!] }
              : {}),
            to: {
              stations: opts['toStation'] as string[],
              districts: opts['toDistrict'] as string[],
              states: opts['toState'] as string[],
              national: Boolean(opts['national']),
            },
            event: event ?? 'Cancellation',
            headline: (opts['headline'] as string | undefined) ?? event ?? 'Cancelled',
            ...(opts['description'] ? { description: opts['description'] as string } : {}),
            ...(opts['instruction'] ? { instruction: opts['instruction'] as string } : {}),
            severity: opts['severity'] as string,
            urgency: opts['urgency'] as string,
            certainty: opts['certainty'] as string,
            categories: (opts['category'] as string[] | undefined) ?? ['security'],
            status: opts['status'] as string,
            language: opts['language'] as string,
            expires: new Date(now.getTime() + parseDuration(opts['expires'] as string) * 1000),
            persons: (opts['person'] as string[]).map(parsePerson),
            vehicles: (opts['vehicle'] as string[]).map(parseVehicle),
            ...(opts['fir'] ? { firReference: opts['fir'] as string } : {}),
            ...(opts['case'] ? { caseReference: opts['case'] as string } : {}),
            ...(opts['mo'] ? { modusOperandi: opts['mo'] as string } : {}),
            handling: opts['handling'] as string,
          });
        }
        let approver: string | undefined;
        if (isNationalBroadcast(alert) || opts['approval']) {
          const r = await agent
            .sendApproved(alert, {
              timeoutMs: parseDuration(opts['approvalWait'] as string) * 1000,
              onDraft: () =>
                out.note(
                  `Alert ${alert.identifier} waits for a second officer's approval; another HQ officer runs:\n  cctns agent approve ${alert.identifier}`,
                ),
            })
            .catch((err: unknown) => {
              throw refusalOf(err, agent.config.broker);
            });
          approver = r.approver;
          out.note(`Approved by ${approver}; sending.`);
        } else await agent.send(alert);
        const alertId = alert.identifier;
        const wait = opts['wait'] as string | undefined;
        if (wait) {
          const end = Date.now() + parseDuration(wait) * 1000;
          let item = agent.store.outboxItem(alertId);
          while (item?.status === 'pending' && Date.now() < end) {
            await new Promise((r) => setTimeout(r, 100));
            item = agent.store.outboxItem(alertId);
          }
          if (item?.status === 'refused')
            throw new AgentError(
              'INPUT_INVALID',
              `the broker refused alert ${alertId}: ${item.reason}: ${item.message}`,
            );
          if (item?.status === 'pending')
            throw new AgentError(
              'BROKER_UNREACHABLE',
              `alert ${alertId} is still queued after ${wait}; is \`cctns agent run\` running and the broker reachable?`,
            );
          out.result(
            `Alert ${alertId} accepted by the broker (log #${item?.seq})${approver ? `, approved by ${approver}` : ''}`,
            {
              alertId,
              status: item?.status,
              seq: item?.seq,
              ...(approver ? { approver } : {}),
            },
          );
        } else {
          out.result(
            `Alert ${alertId} queued${approver ? ` (approved by ${approver})` : ''}; the agent daemon sends it (see \`cctns agent status\`)`,
            { alertId, status: 'pending', ...(approver ? { approver } : {}) },
          );
        }
      });
    });

  group
    .command('inbox')
    .description('alerts received, newest first')
    .option('--unread', 'only unread ones')
    .option('--limit <n>', 'at most this many', intOption('--limit'), 50)
    .action(async (opts: { unread?: boolean; limit: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, (agent) => {
        const items = agent.store.inbox({ unreadOnly: Boolean(opts.unread), limit: opts.limit });
        const rows = items.map(({ jws, ...i }) => ({ ...i, approvedBy: approverOf(jws) }));
        const text = rows.map(
          (i) =>
            `${i.readAt ? ' ' : '*'} ${String(i.seq).padStart(6)}  ${when(i.receivedAt)}  ${i.severity.padEnd(8)} ${i.msgType.padEnd(6)} ${i.sender.padEnd(28)} ${i.headline}  [${i.alertId}]${i.approvedBy ? `  (approved by ${i.approvedBy})` : ''}${i.ackedAt ? '  (acknowledged)' : ''}`,
        );
        out.result(text.length ? `${text.join('\n')}\n(* unread)` : 'The inbox is empty.', rows);
      });
    });

  group
    .command('show')
    .argument('<alertId>', 'alert identifier')
    .description(
      'show an alert in full (marks it read and sends the read receipt), or the receipt trail of an alert this station sent',
    )
    .action(async (alertId: string, _opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const inbox = agent.store.inboxItem(alertId);
        const sent = agent.store.outboxItem(alertId);
        if (!inbox && !sent)
          throw new AgentError(
            'ALERT_NOT_FOUND',
            `no alert ${alertId} in the inbox or among sent alerts`,
          );
        // Checked as of when it arrived (or was sent): a certificate that expired since does not hide it.
        const { alert } = await openAlert(inbox ? inbox.jws : sent!.jws, agent.trust, {
          at: inbox ? inbox.receivedAt : sent!.createdAt,
        });
        if (inbox) await agent.markRead(alertId);
        const followUps = agent.store.followUps(alertId);
        const trail = sent ? agent.store.trail(alertId) : [];
        const lines = [describeAlert(alert)];
        if (followUps.length)
          lines.push(
            '  follow-ups:',
            ...followUps.map((f) => `    ${f.msgType} ${f.alertId}: ${f.headline}`),
          );
        if (sent) {
          lines.push(
            `  sent by this station: ${sent.status}${sent.seq ? ` (log #${sent.seq})` : ''}${sent.reason ? ` — ${sent.reason}: ${sent.message}` : ''}`,
          );
          lines.push(
            trail.length ? '  receipts:' : '  receipts: none yet',
            ...trail.map(
              (t) =>
                `    ${when(t.at)}  ${t.kind.padEnd(12)} ${t.station}${t.note ? `  "${t.note}"` : ''}`,
            ),
          );
        }
        out.result(lines.join('\n'), {
          alert,
          approvedBy: approvalOf(alert)?.approver ?? null,
          inbox: inbox ? { seq: inbox.seq, readAt: inbox.readAt, ackedAt: inbox.ackedAt } : null,
          sent: sent ? { status: sent.status, seq: sent.seq, reason: sent.reason } : null,
          followUps: followUps.map((f) => f.alertId),
          receipts: trail,
        });
      });
    });

  group
    .command('drafts')
    .description(
      "alerts of this broker's HQ waiting for a second officer's approval (HQ officers), each verified here",
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const drafts = await agent
          .approvals()
          .list()
          .catch((err: unknown) => {
            throw refusalOf(err, agent.config.broker);
          });
        const rows = drafts.map((d) => ({
          alertId: d.alert.identifier,
          composer: d.alert.sender,
          headline: d.alert.info[0]?.headline || d.alert.info[0]?.event || '',
          national: Boolean(d.alert.to?.national),
          submittedAt: d.pending.submittedAt?.toISOString() ?? null,
        }));
        out.result(
          rows.length
            ? rows
                .map(
                  (r) =>
                    `${r.submittedAt ? when(new Date(r.submittedAt)) : '-'}  ${r.composer.padEnd(28)} ${r.headline}  [${r.alertId}]`,
                )
                .join('\n')
            : 'No drafts wait for approval.',
          rows,
        );
      });
    });

  group
    .command('approve')
    .argument('<alertId>', 'identifier of the draft (see `cctns agent drafts`)')
    .description(
      "approve another officer's alert with this agent's own key (HQ officers with the duty-officer grant); the composer's agent then sends it",
    )
    .action(async (alertId: string, _opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const r = await agent
          .approvals()
          .approve(alertId)
          .catch((err: unknown) => {
            throw refusalOf(err, agent.config.broker);
          });
        out.result(
          `${describeAlert(r.alert)}\nApproved by ${agent.identity}; ${r.alert.sender} sends it now.`,
          { alertId, composer: r.alert.sender, approver: agent.identity, approved: true },
        );
      });
    });

  group
    .command('ack')
    .argument('<alertId>', 'alert identifier')
    .option('--note <text>', 'what was done, e.g. "nakabandi at NH-48"', '')
    .description('acknowledge an alert as acted upon (sends the acknowledged receipt)')
    .action(async (alertId: string, opts: { note: string }, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const fresh = await agent.acknowledge(alertId, opts.note);
        out.result(fresh ? `Acknowledged ${alertId}` : `${alertId} was already acknowledged`, {
          alertId,
          acknowledged: true,
          alreadyAcknowledged: !fresh,
        });
      });
    });

  group
    .command('sent')
    .description('alerts this station sent, with broker answers and receipt counts')
    .option('--limit <n>', 'at most this many', intOption('--limit'), 20)
    .action(async (opts: { limit: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, (agent) => {
        const rows = agent.store.sent(opts.limit).map((s) => {
          const trail = agent.store.trail(s.alertId);
          const count = (k: string) =>
            new Set(trail.filter((t) => t.kind === k).map((t) => t.station)).size;
          return {
            alertId: s.alertId,
            label: s.label,
            status: s.status,
            seq: s.seq,
            reason: s.reason,
            createdAt: s.createdAt,
            delivered: count('delivered'),
            read: count('read'),
            acknowledged: count('acknowledged'),
          };
        });
        out.result(
          rows.length
            ? rows
                .map(
                  (r) =>
                    `${when(r.createdAt)}  ${r.status.padEnd(8)} delivered ${r.delivered}, read ${r.read}, acknowledged ${r.acknowledged}  ${r.label}  [${r.alertId}]${r.reason ? `  ${r.reason}` : ''}`,
                )
                .join('\n')
            : 'No alerts sent.',
          rows,
        );
      });
    });

  group
    .command('status')
    .description('identity, link, certificate, cursor, inbox and outbox')
    .action(async (_opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, (agent) => {
        const cert = agent.certificate();
        const link = JSON.parse(agent.store.getState('link') ?? '{"state":"never connected"}') as {
          state: string;
          detail?: string;
          at?: string;
        };
        const counts = agent.store.counts();
        const data = {
          identity: agent.identity,
          broker: agent.config.broker,
          link,
          certificate: {
            serial: cert.serialNumber.toLowerCase(),
            notAfter: new Date(cert.validTo).toISOString(),
            renewAfter: agent.renewAfter().toISOString(),
          },
          cursor: agent.store.cursor(),
          ...counts,
          refusedDeliveries: Number(agent.store.getState('refusedDeliveries') ?? 0),
        };
        out.result(
          [
            `${data.identity}`,
            `  broker:       ${data.broker} — ${link.state}${link.detail ? ` (${link.detail})` : ''}${link.at ? ` since ${link.at}` : ''}`,
            `  certificate:  valid until ${data.certificate.notAfter}, renews after ${data.certificate.renewAfter}`,
            `  inbox:        ${counts.inbox} alerts, ${counts.unread} unread; log cursor ${data.cursor}`,
            `  outbox:       ${counts.pending} pending, ${counts.refused} refused`,
            ...(data.refusedDeliveries
              ? [`  refused:      ${data.refusedDeliveries} deliveries failed verification`]
              : []),
          ].join('\n'),
          data,
        );
      });
    });

  group
    .command('renew')
    .description(
      'renew the certificate now over the link (the daemon does this by itself at 2/3 of its lifetime)',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withAgent(cmd, async (agent) => {
        const r = await agent.renew();
        out.result(
          `Renewed: serial ${r.serial}, valid until ${r.notAfter ? when(r.notAfter) : '-'}`,
          { serial: r.serial, notAfter: r.notAfter?.toISOString() },
        );
      });
    });

  registerRecordCommands(group);
  registerSealedCommands(group);

  return group;
}
