import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { collect, outputOf } from '@cctns/pki/cli';
import { Record as RecordMsg, type Attachment } from '@cctns/proto';
import type { Command } from 'commander';
import { pino } from 'pino';
import { Agent } from '../agent.js';
import { AgentError } from '../errors.js';
import {
  agentCredentials,
  recordJson,
  recordSummary,
  refusalOf,
  withRecordsClient,
} from './records-support.js';

const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.txt': 'text/plain',
  '.json': 'application/json',
};

function mediaType(file: string): string {
  const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

/** A safe file name for an attachment written to disk (no folders, no hidden files). */
function safeName(name: string, i: number): string {
  const n = basename(name)
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^\.+/, '');
  return n || `attachment-${i + 1}`;
}

/** Registers `cctns agent send-record` and `cctns agent open-record` on the agent group. */
export function registerSealedCommands(group: Command): void {
  group
    .command('send-record')
    .description(
      'seal case records (and files) to one station in any state: signed by this station, encrypted to that station; brokers cannot read it',
    )
    .requiredOption('--to <station>', 'the one station it is for, e.g. station/KA/BENGALURU/PS001')
    .option(
      '--record <id>',
      "one of this state's records, read from the broker (repeatable)",
      collect,
      [],
    )
    .option(
      '--record-file <file>',
      'a record as JSON (as `record show --json` prints it; repeatable)',
      collect,
      [],
    )
    .option('--attach <file>', 'a file to send with it (repeatable)', collect, [])
    .option('--note <text>', 'a note for the receiving officer', '')
    .action(
      async (
        opts: {
          to: string;
          record: string[];
          recordFile: string[];
          attach: string[];
          note: string;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const dir = resolve(cmd.optsWithGlobals().dir as string);
        if (opts.record.length + opts.recordFile.length === 0)
          throw new AgentError('INPUT_INVALID', 'give at least one --record or --record-file');
        const records: RecordMsg[] = [];
        for (const f of opts.recordFile) {
          try {
            records.push(RecordMsg.fromJSON(JSON.parse(readFileSync(f, 'utf8'))));
          } catch (cause) {
            throw new AgentError(
              'INPUT_INVALID',
              `--record-file ${f}: ${(cause as Error).message}`,
              { cause },
            );
          }
        }
        if (opts.record.length)
          await withRecordsClient(agentCredentials(dir), async (client) => {
            for (const id of opts.record) records.push(await client.get(id));
          });
        const attachments: Attachment[] = opts.attach.map((f) => {
          if (!statSync(f, { throwIfNoEntry: false })?.isFile())
            throw new AgentError('INPUT_INVALID', `--attach ${f}: no such file`);
          return { name: basename(f), mediaType: mediaType(f), data: readFileSync(f) };
        });
        const agent = Agent.open(dir, { logger: pino({ level: 'silent' }) });
        try {
          const r = await agent
            .sendSealed({ recipient: opts.to, records, attachments, note: opts.note })
            .catch((err: unknown) => {
              throw refusalOf(err, agent.config.broker);
            });
          out.result(
            `Sealed to ${opts.to}: ${records.length} record(s), ${attachments.length} file(s), ${Math.ceil(r.bytes / 1024)} KiB — alert ${r.alertId} queued (the running agent sends it; \`cctns agent sent\` shows its receipts).`,
            {
              alertId: r.alertId,
              bytes: r.bytes,
              records: records.length,
              attachments: attachments.length,
            },
          );
        } finally {
          await agent.close();
        }
      },
    );

  group
    .command('open-record')
    .description(
      "open a sealed case record in the inbox with this station's key, check who sealed it, and print it",
    )
    .argument('<alertId>')
    .option('--out <dir>', 'write the attached files into this folder')
    .action(async (alertId: string, opts: { out?: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const agent = Agent.open(resolve(cmd.optsWithGlobals().dir as string), {
        logger: pino({ level: 'silent' }),
      });
      try {
        const pkg = await agent.openSealed(alertId);
        const files: string[] = [];
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true, mode: 0o700 });
          pkg.attachments.forEach((a, i) => {
            const file = join(opts.out!, safeName(a.name, i));
            writeFileSync(file, a.data, { mode: 0o600 });
            files.push(file);
          });
        }
        out.result(
          [
            `Sealed case record from ${pkg.sender} (signature verified), for ${pkg.recipient}`,
            `  sealed:  ${pkg.sealedAt?.toISOString() ?? '-'}`,
            ...(pkg.note ? [`  note:    ${pkg.note}`] : []),
            ...pkg.records.map((r) => {
              const s = recordSummary(r);
              return `  ${r.id || '(new)'}  ${s.main}${s.details ? `  ${s.details}` : ''}`;
            }),
            ...pkg.attachments.map(
              (a, i) =>
                `  file:    ${a.name} (${a.mediaType}, ${a.data.length} bytes)${files[i] ? ` → ${files[i]}` : ''}`,
            ),
          ].join('\n'),
          {
            sender: pkg.sender,
            recipient: pkg.recipient,
            sealedAt: pkg.sealedAt?.toISOString() ?? null,
            note: pkg.note,
            records: pkg.records.map(recordJson),
            attachments: pkg.attachments.map((a, i) => ({
              name: a.name,
              mediaType: a.mediaType,
              bytes: a.data.length,
              ...(files[i] ? { file: files[i] } : {}),
            })),
          },
        );
      } finally {
        await agent.close();
      }
    });
}
