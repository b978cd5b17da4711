/** The `cctns up` command. */
export { registerUpCommand } from '../up/up-command.js';
