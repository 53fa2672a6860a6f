/** Public face of the command line: the program builder (main.ts runs it). */
export { EXIT, createProgram, parseDecideLine, runCli } from './program.js';
export type { CliIo } from './program.js';
export {
  configDataFromText,
  parseCapacity,
  parseJsonOption,
  parseMetrics,
  parseNow,
  parseState,
} from './inputs.js';
export type { Parsed } from './inputs.js';
export { createSecretReader } from './secret-reader.js';
