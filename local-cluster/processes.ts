import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { SYSTEM_CLOCK, type Clock } from './clock.js';

/** What a pid file records: enough to find the process again and to be sure it is still ours. */
export interface ComponentProcess {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly startedAtMs: number;
}

/** The pid file of component `name`. */
export function pidFile(stateDir: string, name: string): string {
  return join(stateDir, 'pids', `${name}.json`);
}

/** The log file of component `name`. */
export function logFile(stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name}.log`);
}

/**
 * Starts a component in its own process group (so `down` can stop it and its children together),
 * detached from the caller, stdout+stderr appended to logs/<name>.log, and records its pid file.
 */
export function startComponent(
  stateDir: string,
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): ComponentProcess {
  mkdirSync(join(stateDir, 'pids'), { recursive: true });
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const log = logFile(stateDir, name);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, [...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env,
      ...(cwd === undefined ? {} : { cwd }),
    });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    child.unref();
    const record: ComponentProcess = {
      name,
      pid: child.pid,
      command,
      args,
      logFile: log,
      startedAtMs: Date.now(),
    };
    writeFileSync(pidFile(stateDir, name), JSON.stringify(record, null, 2));
    return record;
  } finally {
    closeSync(fd);
  }
}

/** The recorded process of `name`, if its pid file exists. */
export function readComponent(stateDir: string, name: string): ComponentProcess | undefined {
  const file = pidFile(stateDir, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ComponentProcess;
  } catch {
    return undefined;
  }
}

/** Every component with a pid file in the state dir. */
export function listComponents(stateDir: string): ComponentProcess[] {
  const dir = join(stateDir, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readComponent(stateDir, f.slice(0, -'.json'.length)))
    .filter((p): p is ComponentProcess => p !== undefined);
}

/**
 * True when the pid is alive AND still runs the recorded command (pids are reused: a stale pid file
 * from a crashed run must never make us signal somebody else's process).
 */
export function isRunning(proc: ComponentProcess): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const stat = safeRead(`/proc/${proc.pid}/stat`);
  if (stat !== undefined && / Z /.test(stat.slice(stat.lastIndexOf(')') + 1, stat.lastIndexOf(')') + 4)))
    return false;
  const argv0 = cmdline.split('\0')[0] ?? '';
  return argv0 === proc.command || basename(argv0) === basename(proc.command);
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops one component: SIGTERM to its process group, SIGKILL after `graceMs`; removes its pid file. */
export async function stopComponent(
  stateDir: string,
  name: string,
  graceMs = 5000,
  clock: Clock = SYSTEM_CLOCK,
): Promise<boolean> {
  const proc = readComponent(stateDir, name);
  if (proc === undefined) return false;
  let stopped = false;
  if (isRunning(proc)) {
    signalGroup(proc.pid, 'SIGTERM');
    const deadline = clock.now() + graceMs;
    while (isRunning(proc) && clock.now() < deadline) await clock.sleep(100);
    if (isRunning(proc)) {
      signalGroup(proc.pid, 'SIGKILL');
      while (isRunning(proc) && clock.now() < deadline + 2000) await clock.sleep(50);
    }
    stopped = true;
  }
  rmSync(pidFile(stateDir, name), { force: true });
  return stopped;
}

/** The last `lines` lines of a component's log (for error messages). */
export function logTail(stateDir: string, name: string, lines = 20): string {
  const text = safeRead(logFile(stateDir, name)) ?? '';
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
