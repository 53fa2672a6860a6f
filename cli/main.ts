#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runCli, type CliIo } from './program.js';

/** The `k-siss` command: the process's streams, files, environment and clock. */
const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readText: (path) => readFileSync(path, 'utf8'),
  stdinLines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  env: process.env,
  nowMs: () => Date.now(),
};

const code = await runCli(process.argv.slice(2), io);
// Commands registered by other modules (run, simulate) may set process.exitCode themselves.
if (code !== 0) process.exitCode = code;
