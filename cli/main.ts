#!/usr/bin/env node
import { MAX_CONFIG_FILE_BYTES } from '../autoscaler/index.js';
import { boundedLines, readTextBounded } from './bounded-read.js';
import { runCli, type CliIo } from './program.js';

/** The `k-siss` command: the process's streams, files, environment and clock. */
const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readText: (path) => readTextBounded(path, MAX_CONFIG_FILE_BYTES),
  stdinLines: () => boundedLines(process.stdin),
  env: process.env,
  nowMs: () => Date.now(),
};

const code = await runCli(process.argv.slice(2), io);
// Commands registered by other modules (run, simulate) may set process.exitCode themselves.
if (code !== 0) process.exitCode = code;
