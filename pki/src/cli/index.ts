/** The `cctns pki` command group and the CLI plumbing every package's commands share. */
export { registerPkiCommands, defaultPkiDir } from './pki-commands.js';
export {
  caPassphrase,
  collect,
  exitCodeOf,
  intOption,
  outputOf,
  promptHidden,
  runCli,
  untilStopSignal,
  when,
  type Output,
} from './support.js';
