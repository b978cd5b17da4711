import { join, relative } from 'node:path';
import { isStateCode, PkiError } from '@cctns/pki';
import { intOption, outputOf, when, untilStopSignal } from '@cctns/pki/cli';
import { composeAlert } from '@cctns/station-agent';
import type { Command } from 'commander';
import { pino } from 'pino';
import { HQ_APPROVER, HQ_OPERATOR, operatorsFile, up } from './up.js';

/** Registers `cctns up` on the umbrella program. */
export function registerUpCommand(program: Command): Command {
  return program
    .command('up')
    .description(
      'run a whole local network in one process: CA, one broker per state, station agents (data reused across runs)',
    )
    .option('--data <dir>', 'data folder', process.env['CCTNS_DATA_DIR'] ?? 'data')
    .option('--states <codes>', 'comma-separated State/UT codes', 'MH,KA,DL')
    .option('--stations <n>', 'station agents per state', intOption('--stations'), 2)
    .option(
      '--port-base <n>',
      'first port (national broker: base+1 links, +2 enrollment, +3 health; state i: base+10(i+1)+1..3); 0 = free ports',
      (v) => Number(v),
      7400,
    )
    .option(
      '--nats <urls>',
      'join a running NATS (JetStream, mutual TLS trusting data/pki/root/ca.crt.pem) instead of the in-process backbone; comma-separated',
    )
    .option(
      '--demo',
      'send an inter-state alert and a national broadcast, and show them arrive and the receipts come back',
    )
    .option('--log-level <level>', 'service log level (JSON on stderr)', 'warn')
    .action(
      async (
        opts: {
          data: string;
          states: string;
          stations: number;
          portBase: number;
          demo?: boolean;
          nats?: string;
          logLevel: string;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const states = opts.states.split(',').map((s) => s.trim().toUpperCase());
        for (const s of states)
          if (!isStateCode(s))
            throw new PkiError('STATE_UNKNOWN', `--states: ${s} is not a State/UT code`);
        // With --json, stdout carries exactly one line (the ready line); people read stderr.
        const human = out.json ? process.stderr : process.stdout;
        const say = (line: string) => human.write(`${when(new Date()).slice(11, 19)}  ${line}\n`);
        const stopped = untilStopSignal();
        const net = await up(
          {
            dataDir: opts.data,
            states,
            stationsPerState: opts.stations,
            ...(opts.nats
              ? {
                  nats: opts.nats
                    .split(',')
                    .map((u) => u.trim())
                    .filter(Boolean),
                }
              : {}),
            portBase: opts.portBase,
            logger: pino({ level: opts.logLevel }, pino.destination(2)),
            say,
          },
          process.env,
        );
        const stations = net.agents.filter((a) => a.identity.startsWith('station/'));
        const first = stations[0]!;
        const other = stations.find(
          (a) => a.identity.split('/')[1] !== first.identity.split('/')[1],
        );
        const hq = net.agents.find((a) => a.identity === HQ_OPERATOR)!;
        const approver = net.agents.find((a) => a.identity === HQ_APPROVER)!;
        const rel = (p: string) => relative(process.cwd(), p) || '.';
        const lines = [
          '',
          `The network is up: the national broker, ${net.brokers.size - 1} state brokers, ${stations.length} stations and ${HQ_OPERATOR} and ${HQ_APPROVER}. Data in ${opts.data}/ (reused next time).`,
          ...(net.console
            ? [
                `HQ console: ${net.console.url.replace('127.0.0.1', 'localhost')} (self-signed certificate: accept it once). Sign in as admin, duty1 or duty2 with the password and TOTP secret in ${rel(operatorsFile(net.dataDir))}`,
                `  (a code for the secret: npx cctns console totp --secret <secret>; two duty officers are needed for a national broadcast)`,
              ]
            : []),
          'From another terminal, act as an officer would:',
          `  npx cctns agent --dir ${rel(first.dir)} send --to-district ${other ? other.identity.split('/').slice(1, 3).join('/') : first.identity.split('/').slice(1, 3).join('/')} --event "Armed robbery" --headline "Wanted: two men on a black Pulsar" --wait 10s`,
          `  npx cctns agent --dir ${rel(hq.dir)} send --national --event "Heinous crime" --headline "Nationwide alert" --wait 10s`,
          `  (it waits for a second officer; in a third terminal: npx cctns agent --dir ${rel(approver.dir)} drafts, then approve <alertId>)`,
          `  npx cctns agent --dir ${rel(join(opts.data, 'stations', '<station>'))} inbox`,
          'Ctrl-C stops everything cleanly.',
          '',
        ];
        if (out.json) {
          process.stderr.write(`${lines.join('\n')}\n`);
          process.stdout.write(
            `${JSON.stringify({ ready: true, brokers: Object.fromEntries([...net.brokers].map(([s, b]) => [s, b.addresses])), stations: stations.map((a) => ({ identity: a.identity, dir: a.dir })), hq: { identity: hq.identity, dir: hq.dir }, approver: { identity: approver.identity, dir: approver.dir }, ...(net.console ? { console: { url: net.console.url, operators: operatorsFile(net.dataDir) } } : {}) })}\n`,
          );
        } else process.stdout.write(`${lines.join('\n')}\n`);
        if (opts.demo) {
          const person = {
            name: 'राम कुमार',
            aliases: ['Ram Kumar'],
            fatherName: '',
            motherName: '',
            gender: 1,
            age: 34,
            dateOfBirth: '',
            identifyingMarks: ['scar on left cheek'],
            photoRefs: [],
            role: 3,
          };
          const vehicle = {
            registration: 'MH12AB1234',
            chassis: '',
            engine: '',
            make: 'Bajaj',
            model: 'Pulsar',
            colour: 'black',
            status: 1,
          };
          const target = other ?? first;
          const interState = composeAlert({
            sender: first.identity,
            to: { states: [target.identity.split('/')[1]!] },
            event: 'Wanted person',
            headline:
              'DEMO: wanted — राम कुमार (Ram Kumar), black Pulsar MH12AB1234, heading out of state',
            now: new Date(),
            persons: [person],
            vehicles: [vehicle],
          });
          say(`demo: ${first.identity} alerts every station of ${target.identity.split('/')[1]}`);
          await first.send(interState);
          setTimeout(() => {
            void (async () => {
              if (target.store.inboxItem(interState.identifier)) {
                say(`demo: ${target.identity} acknowledges it`);
                await target.acknowledge(interState.identifier, 'nakabandi set up on the highway');
              }
              const national = composeAlert({
                sender: hq.identity,
                to: { national: true },
                event: 'Heinous crime',
                headline: 'DEMO: national alert from HQ — all stations to be on watch',
                now: new Date(),
              });
              say(
                `demo: ${hq.identity} broadcasts to every station in the country, approved by ${approver.identity}`,
              );
              await hq
                .sendApproved(national, {
                  timeoutMs: 30_000,
                  onDraft: () =>
                    void approver
                      .approvals()
                      .approve(national.identifier)
                      .catch((err: Error) => say(`demo: approval failed: ${err.message}`)),
                })
                .catch((err: Error) => say(`demo: national broadcast not sent: ${err.message}`));
            })();
          }, 1500);
        }
        await stopped;
        say('stopping...');
        await net.stop();
        say('stopped.');
      },
    );
}
