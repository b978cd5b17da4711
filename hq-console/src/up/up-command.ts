import { join, relative } from 'node:path';
import { isStateCode, PkiError } from '@cctns/pki';
import { intOption, outputOf, when } from '@cctns/pki/cli';
import { composeAlert } from '@cctns/station-agent';
import type { Command } from 'commander';
import { pino } from 'pino';
import { stationDir, up } from './up.js';

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
      'first port (state i: base+10i+1 gRPC, +2 enrollment, +3 health); 0 = free ports',
      (v) => Number(v),
      7400,
    )
    .option('--demo', 'send a demonstration alert and show it arrive and the receipts come back')
    .option('--log-level <level>', 'service log level (JSON on stderr)', 'warn')
    .action(
      async (
        opts: {
          data: string;
          states: string;
          stations: number;
          portBase: number;
          demo?: boolean;
          logLevel: string;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const states = opts.states.split(',').map((s) => s.trim().toUpperCase());
        for (const s of states)
          if (!isStateCode(s))
            throw new PkiError('STATE_UNKNOWN', `--states: ${s} is not a State/UT code`);
        const say = (line: string) =>
          process.stdout.write(`${when(new Date()).slice(11, 19)}  ${line}\n`);
        const net = await up(
          {
            dataDir: opts.data,
            states,
            stationsPerState: opts.stations,
            portBase: opts.portBase,
            logger: pino({ level: opts.logLevel }, pino.destination(2)),
            say,
          },
          process.env,
        );
        const first = net.agents[0]!;
        const example = relative(process.cwd(), stationDir(opts.data, first.identity)) || '.';
        const lines = [
          '',
          `The network is up: ${net.brokers.size} state brokers, ${net.agents.length} stations. Data in ${opts.data}/ (reused next time).`,
          'Send an alert from another terminal, as a station officer would:',
          `  npx cctns agent --dir ${example} send --to-district ${first.identity.split('/').slice(1, 3).join('/')} --event "Armed robbery" --headline "Wanted: two men on a black Pulsar" --wait 10s`,
          `  npx cctns agent --dir ${join(opts.data, 'stations', '<station>')} inbox`,
          'Inter-state alerts and the HQ console arrive with the federation and console issues.',
          'Ctrl-C stops everything cleanly.',
          '',
        ];
        if (out.json)
          process.stdout.write(
            `${JSON.stringify({ ready: true, brokers: Object.fromEntries([...net.brokers].map(([s, b]) => [s, b.addresses])), stations: net.agents.map((a) => ({ identity: a.identity, dir: a.dir })) })}\n`,
          );
        else process.stdout.write(`${lines.join('\n')}\n`);
        if (opts.demo) {
          const sender = net.agents[0]!;
          const peer = net.agents.find(
            (a) => a !== sender && a.identity.split('/')[1] === sender.identity.split('/')[1],
          );
          const alert = composeAlert({
            sender: sender.identity,
            to: { states: [sender.identity.split('/')[1]!] },
            event: 'Demonstration',
            headline: 'DEMO: wanted person — राम कुमार (Ram Kumar), black Pulsar MH12AB1234',
            now: new Date(),
            persons: [
              {
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
              },
            ],
            vehicles: [
              {
                registration: 'MH12AB1234',
                chassis: '',
                engine: '',
                make: 'Bajaj',
                model: 'Pulsar',
                colour: 'black',
                status: 1,
              },
            ],
          });
          say(`demo: ${sender.identity} sends a state-wide alert`);
          await sender.send(alert);
          if (peer) {
            setTimeout(() => {
              void (async () => {
                if (peer.store.inboxItem(alert.identifier)) {
                  say(`demo: ${peer.identity} acknowledges it`);
                  await peer.acknowledge(alert.identifier, 'nakabandi set up on the highway');
                }
              })();
            }, 1500);
          }
        }
        await new Promise<void>((r) => {
          process.once('SIGINT', () => r());
          process.once('SIGTERM', () => r());
        });
        say('stopping...');
        await net.stop();
        say('stopped.');
      },
    );
}
