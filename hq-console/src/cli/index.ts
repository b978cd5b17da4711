/** `cctns up` and `cctns console`. */
export { registerUpCommand } from '../up/up-command.js';
export { registerConsoleCommands, defaultConsoleDir } from './console-commands.js';
