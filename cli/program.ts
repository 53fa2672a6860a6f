import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type {
  AutoscalerConfig,
  DecideOutput,
  Environment,
  MetricValues,
  ServiceObservation,
} from '../autoscaler/index.js';
import {
  decideScale,
  describeBytes,
  formatIssue,
  formatValue,
  parseConfig,
  parseJsonBounded,
} from '../autoscaler/index.js';
import type { CapacitySnapshot } from '../gpu-registry/index.js';
import { unlimitedCapacity } from '../gpu-registry/index.js';
import {
  configDataFromText,
  parseCapacity,
  parseJsonOption,
  parseMetrics,
  parseNow,
  parseState,
  type Parsed,
} from './inputs.js';
import type { BoundedLine } from './bounded-read.js';
import { MAX_LINE_BYTES } from './bounded-read.js';
import { registerProfileCommand } from './profile-command.js';
import { registerRunCommand } from './run-command.js';
import { registerSimulateCommand } from './simulate-command.js';

/** What the commands touch outside themselves; main.ts passes the process's, tests may pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a file with a size limit (MAX_CONFIG_FILE_BYTES in the process). */
  readonly readText: (path: string) => string;
  /** stdin as lines; a line over MAX_LINE_BYTES comes as its size only. */
  readonly stdinLines: () => AsyncIterable<BoundedLine>;
  readonly env: Environment;
  readonly nowMs: () => number;
}

/** Exit codes: 0 fine, 1 invalid config or a bad input line, 2 bad usage or an unreadable file. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** Thrown inside an action to end the command with a code (after its message was written). */
class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function loadConfigData(io: CliIo, file: string): Record<string, string> {
  let text: string;
  try {
    text = io.readText(file);
  } catch (error) {
    io.stderr(`${file}: cannot read: ${(error as Error).message}\n`);
    throw new ExitWith(EXIT.usage);
  }
  const data = configDataFromText(text);
  if (!data.ok) {
    // Read but not a config (not YAML, not a map of strings): an invalid config, as for `validate`.
    io.stderr(data.errors.map((e) => `${file}: ${e}\n`).join(''));
    throw new ExitWith(EXIT.invalid);
  }
  return data.value;
}

function loadUsableConfig(io: CliIo, file: string): AutoscalerConfig {
  const { config, issues } = parseConfig(loadConfigData(io, file), io.env);
  if (config === undefined) {
    io.stderr(issues.map((issue) => `${formatIssue(issue)}\n`).join(''));
    io.stderr(`${file}: the config is unusable (see above)\n`);
    throw new ExitWith(EXIT.invalid);
  }
  return config;
}

function orExit<T>(io: CliIo, parsed: Parsed<T>, code: number = EXIT.usage): T {
  if (parsed.ok) return parsed.value;
  io.stderr(parsed.errors.map((e) => `${e}\n`).join(''));
  throw new ExitWith(code);
}

/** The decision output as printed: the service, the time decided at, and DecideScale's result. */
function printable(service: string, nowMs: number, output: DecideOutput): Record<string, unknown> {
  const signals = output.signals.map((signal) => ({ ...signal, value: jsonValue(signal.value) }));
  return { service, nowMs, ...output, signals };
}

/** Metric values in JSON as in the input: null = no data, "NaN", "+Inf", "-Inf" for the non-finite ones. */
function jsonValue(value: number | undefined): number | string | null {
  if (value === undefined) return null;
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return value;
}

interface DecideRequest {
  readonly service: string;
  readonly observation: ServiceObservation;
  readonly metrics: MetricValues;
  readonly capacity: CapacitySnapshot | undefined;
  readonly nowMs: number;
}

/** Looks up the service; a skipped (invalid) block is reported with its issues. */
function serviceOf(
  config: AutoscalerConfig,
  key: string,
  service: string,
): Parsed<ReturnType<AutoscalerConfig['services']['get']>> {
  const found = config.services.get(service);
  if (found !== undefined) return { ok: true, value: found };
  const issues = config.issues.filter((issue) => issue.key === service);
  if (issues.length > 0) {
    return {
      ok: false,
      errors: [
        ...issues.map(formatIssue),
        `${key} = ${formatValue(service)}: its config block is invalid (see above)`,
      ],
    };
  }
  const known = [...config.services.keys()].join(', ');
  return {
    ok: false,
    errors: [`${key} = ${formatValue(service)}: not in the config (services: ${known || 'none'})`],
  };
}

function decide(config: AutoscalerConfig, request: DecideRequest): DecideOutput {
  const service = config.services.get(request.service);
  if (service === undefined) throw new Error(`bug: service ${request.service} was checked before`);
  return decideScale({
    config: service,
    catalog: config.catalog,
    observation: request.observation,
    metrics: request.metrics,
    capacity: request.capacity ?? unlimitedCapacity(config.catalog.values()),
    nowMs: request.nowMs,
  });
}

function registerValidate(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('validate')
    .description('validate an autoscaler ConfigMap (a manifest or just its data map); one line per issue')
    .argument('<file>', 'YAML file')
    .action((file: string) => {
      const { config, issues } = parseConfig(loadConfigData(io, file), io.env);
      if (issues.length > 0) {
        io.stdout(issues.map((issue) => `${formatIssue(issue)}\n`).join(''));
        if (config === undefined)
          io.stderr(`${file}: the config is unusable; the controller would keep its last good config\n`);
        setCode(EXIT.invalid);
        return;
      }
      const names = [...(config?.services.keys() ?? [])];
      io.stdout(`ok: ${names.length} service(s)${names.length > 0 ? ` (${names.join(', ')})` : ''}\n`);
      setCode(EXIT.ok);
    });
}

function registerExplain(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('explain')
    .description('print the decision for one service, with its reason and per-metric signals')
    .requiredOption('--config <file>', 'the autoscaler ConfigMap (YAML)')
    .requiredOption('--service <name>', 'the service (ConfigMap key)')
    .requiredOption('--state <json>', 'what the controller saw (JSON, or @file)')
    .requiredOption('--metrics <json>', 'metric name -> value (JSON, or @file)')
    .option('--capacity <json>', 'free units per node (JSON, or @file); default: every tier available')
    .option('--now <time>', 'ISO time or ms since the epoch; default: the clock')
    .action(
      (options: {
        config: string;
        service: string;
        state: string;
        metrics: string;
        capacity?: string;
        now?: string;
      }) => {
        const config = loadUsableConfig(io, options.config);
        const invalidBlock = config.issues.some((issue) => issue.key === options.service);
        orExit(io, serviceOf(config, '--service', options.service), invalidBlock ? EXIT.invalid : EXIT.usage);
        const observation = orExit(
          io,
          parseState('--state', orExit(io, parseJsonOption('--state', options.state, io.readText))),
        );
        const metrics = orExit(
          io,
          parseMetrics('--metrics', orExit(io, parseJsonOption('--metrics', options.metrics, io.readText))),
        );
        const capacity =
          options.capacity === undefined
            ? undefined
            : orExit(
                io,
                parseCapacity(
                  '--capacity',
                  orExit(io, parseJsonOption('--capacity', options.capacity, io.readText)),
                ),
              );
        const nowMs = options.now === undefined ? io.nowMs() : orExit(io, parseNow('--now', options.now));
        const output = decide(config, { service: options.service, observation, metrics, capacity, nowMs });
        io.stdout(`${JSON.stringify(printable(options.service, nowMs, output), null, 2)}\n`);
        setCode(EXIT.ok);
      },
    );
}

/** Parses one stdin line of `decide` into a request, or the error text naming the field. */
export function parseDecideLine(
  config: AutoscalerConfig,
  line: string,
  nowMs: number,
): Parsed<DecideRequest> {
  const parsed = parseJsonBounded(line);
  if (!parsed.ok) return { ok: false, errors: [parsed.message] };
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: ['must be a JSON object {service, state, metrics, capacity, now}'] };
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter(
    (k) => !['service', 'state', 'metrics', 'capacity', 'now'].includes(k),
  );
  if (unknown.length > 0) {
    return {
      ok: false,
      errors: unknown.map(
        (k) =>
          `${k} = ${formatValue(fields[k])}: unknown field (known: service, state, metrics, capacity, now)`,
      ),
    };
  }
  if (typeof fields['service'] !== 'string') {
    return {
      ok: false,
      errors: [`service = ${formatValue(fields['service'])}: must be a string`],
    };
  }
  const service = serviceOf(config, 'service', fields['service']);
  if (!service.ok) return service;
  const observation = parseState('state', fields['state']);
  if (!observation.ok) return observation;
  const metrics = parseMetrics('metrics', fields['metrics']);
  if (!metrics.ok) return metrics;
  const capacity =
    fields['capacity'] === undefined ? undefined : parseCapacity('capacity', fields['capacity']);
  if (capacity !== undefined && !capacity.ok) return capacity;
  const now = fields['now'] === undefined ? undefined : parseNow('now', fields['now']);
  if (now !== undefined && !now.ok) return now;
  return {
    ok: true,
    value: {
      service: fields['service'],
      observation: observation.value,
      metrics: metrics.value,
      capacity: capacity?.value,
      nowMs: now?.value ?? nowMs,
    },
  };
}

function registerDecide(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('decide')
    .description(
      'read JSON lines {service, state, metrics, capacity, now} on stdin, write one decision line each',
    )
    .requiredOption('--config <file>', 'the autoscaler ConfigMap (YAML)')
    .action(async (options: { config: string }) => {
      const config = loadUsableConfig(io, options.config);
      let lineNumber = 0;
      let failed = false;
      for await (const line of io.stdinLines()) {
        lineNumber += 1;
        if (typeof line !== 'string') {
          failed = true;
          const error = `line is ${line.tooLongBytes} bytes, more than the ${describeBytes(MAX_LINE_BYTES)} allowed`;
          io.stdout(`${JSON.stringify({ line: lineNumber, error })}\n`);
          continue;
        }
        if (line.trim() === '') continue;
        const request = parseDecideLine(config, line, io.nowMs());
        if (!request.ok) {
          failed = true;
          io.stdout(`${JSON.stringify({ line: lineNumber, error: request.errors.join('; ') })}\n`);
          continue;
        }
        const output = decide(config, request.value);
        io.stdout(
          `${JSON.stringify({ line: lineNumber, ...printable(request.value.service, request.value.nowMs, output) })}\n`,
        );
      }
      setCode(failed ? EXIT.invalid : EXIT.ok);
    });
}

/** The version in package.json (the package root is two levels up from cli/ and from dist/cli/). */
const PACKAGE_VERSION = (() => {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'k-siss-autoscaler' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
})();

/** Builds the `k-siss` program; `setCode` receives each command's exit code. */
export function createProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('k-siss')
    .description('SLO-driven GPU-tier and replica autoscaler for Knative inference services')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  registerValidate(program, io, setCode);
  registerExplain(program, io, setCode);
  registerDecide(program, io, setCode);
  registerRunCommand(program);
  registerSimulateCommand(program);
  registerProfileCommand(program);
  return program;
}

/** Runs the command line `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof ExitWith) return error.code;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return code;
}
