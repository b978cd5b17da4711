/** The `cctns broker` command group, `cctns audit` and `cctns doctor`. */
export { registerBrokerCommands } from './broker-commands.js';
export { registerAuditCommands } from './audit-commands.js';
export { registerDoctorCommand } from './doctor-command.js';
