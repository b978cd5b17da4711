/** The `cctns agent` command group. */
export { registerAgentCommands, describeAlert, defaultAgentDir } from './agent-commands.js';
