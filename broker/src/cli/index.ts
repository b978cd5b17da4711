/** The `cctns broker` command group. */
export { registerBrokerCommands } from './broker-commands.js';
export { registerAuditCommands } from './audit-commands.js';
