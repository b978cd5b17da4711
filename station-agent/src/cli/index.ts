/** The `cctns agent` command group. */
export { registerAgentCommands, describeAlert, defaultAgentDir } from './agent-commands.js';
/** `cctns agent record …` (registered by the agent group) and the `cctns query` command group. */
export { registerRecordCommands } from './record-commands.js';
export { registerQueryCommands } from './query-commands.js';
export { BrokerRefusal, refusalExit } from './records-support.js';
