import { formatValue } from '../autoscaler/index.js';
import type { InferenceRequest } from '../service-model/index.js';

/** The two public trace formats the simulator replays. */
export type TraceFormat = 'azure-csv' | 'mooncake-jsonl';

/** A workload trace: requests sorted by arrival, times in ms from the trace's start. */
export interface Trace {
  readonly name: string;
  readonly format: TraceFormat;
  readonly requests: readonly InferenceRequest[];
  /** Arrival of the last request, ms from the start. */
  readonly durationMs: number;
}

/** A parsed trace, or the first problem with its line number and field. */
export type TraceParseResult =
  | { readonly ok: true; readonly trace: Trace }
  | {
      readonly ok: false;
      readonly reason: 'unknownFormat' | 'malformedLine' | 'emptyTrace';
      readonly message: string;
    };

const AZURE_COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;

/**
 * Parses a trace, detecting its format: a first line that is a JSON object means Mooncake JSONL
 * (`timestamp` ms from start, `input_length`, `output_length`); a CSV header with
 * TIMESTAMP, ContextTokens and GeneratedTokens means the Azure LLM inference trace (wall-clock time,
 * the first row is the start). Column order, extra columns/fields and CRLF line ends are accepted.
 */
export function parseTrace(text: string, name: string): TraceParseResult {
  const lines = text.split(/\r?\n/);
  const firstIndex = lines.findIndex((l) => l.trim() !== '');
  if (firstIndex < 0) return { ok: false, reason: 'emptyTrace', message: `${name}: the trace is empty` };
  const first = (lines[firstIndex] as string).trim();
  if (first.startsWith('{')) return parseMooncake(lines, name);
  const header = first.split(',').map((c) => c.trim());
  if (AZURE_COLUMNS.every((c) => header.includes(c))) return parseAzure(lines, firstIndex, header, name);
  return {
    ok: false,
    reason: 'unknownFormat',
    message: `${name} line ${firstIndex + 1}: ${JSON.stringify(first.slice(0, 80))} is neither a JSON object (Mooncake JSONL) nor a CSV header with ${AZURE_COLUMNS.join(',')} (Azure LLM trace)`,
  };
}

/** The number a JSON line gives `field` as written (`1e400`), for values JSON.parse turns into Infinity. */
function rawNumber(line: string, field: string): string {
  const match = new RegExp(`"${field}"\\s*:\\s*(-?[0-9.eE+-]{1,40})`).exec(line);
  return match?.[1] ?? 'Infinity';
}

type LineError = { readonly ok: false; readonly reason: 'malformedLine'; readonly message: string };

function lineError(name: string, line: number, field: string, value: unknown, why: string): LineError {
  return {
    ok: false,
    reason: 'malformedLine',
    message: `${name} line ${line}: ${field} = ${formatValue(value)}: ${why}`,
  };
}

function wholeNumber(raw: string): number | undefined {
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** `2023-11-16 18:15:46.6805900` (fraction optional, up to 9 digits) to ms since the epoch, UTC. */
function parseWallClockMs(raw: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]00:?00)?$/.exec(raw);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return undefined;
  }
  const base = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  // Date.UTC rolls an impossible date over (2023-02-31 is 2023-03-03): refuse it instead.
  if (new Date(base).getUTCDate() !== day) return undefined;
  return base + (frac === undefined ? 0 : Number(`0.${frac}`) * 1000);
}

function parseAzure(
  lines: readonly string[],
  headerIndex: number,
  header: readonly string[],
  name: string,
): TraceParseResult {
  const col = {
    time: header.indexOf('TIMESTAMP'),
    prompt: header.indexOf('ContextTokens'),
    output: header.indexOf('GeneratedTokens'),
  };
  const rows: { atMs: number; prompt: number; output: number; lineNo: number; time: string }[] = [];
  for (let i = headerIndex + 1; i < lines.length; i += 1) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length < header.length) {
      return lineError(
        name,
        lineNo,
        'row',
        raw,
        `has ${cells.length} columns, the header has ${header.length}`,
      );
    }
    const time = cells[col.time] as string;
    const atMs = parseWallClockMs(time);
    if (atMs === undefined)
      return lineError(
        name,
        lineNo,
        'TIMESTAMP',
        time,
        'must be a real date and time like 2023-11-16 18:15:46.6805900',
      );
    const promptRaw = cells[col.prompt] as string;
    const prompt = wholeNumber(promptRaw);
    if (prompt === undefined)
      return lineError(name, lineNo, 'ContextTokens', promptRaw, 'must be a whole number >= 0');
    const outputRaw = cells[col.output] as string;
    const output = wholeNumber(outputRaw);
    if (output === undefined)
      return lineError(name, lineNo, 'GeneratedTokens', outputRaw, 'must be a whole number >= 0');
    rows.push({ atMs, prompt, output, lineNo, time });
  }
  if (rows.length === 0)
    return { ok: false, reason: 'emptyTrace', message: `${name}: no requests after the header` };
  // The first row is the start; the minimum is the same for a sorted file and safe for any other.
  const startMs = rows.reduce((min, r) => Math.min(min, r.atMs), Number.POSITIVE_INFINITY);
  return finish(
    name,
    'azure-csv',
    rows.map(({ atMs, ...row }) => ({ ...row, offsetMs: atMs - startMs })),
    'TIMESTAMP',
  );
}

function parseMooncake(lines: readonly string[], name: string): TraceParseResult {
  const rows: Row[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return lineError(name, lineNo, 'line', raw.slice(0, 80), `is not JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return lineError(name, lineNo, 'line', raw.slice(0, 80), 'must be a JSON object');
    }
    const record = value as Record<string, unknown>;
    const ts = record['timestamp'];
    if (ts === Number.POSITIVE_INFINITY) {
      // JSON.parse reads 1e400 as Infinity (which JSON would print as null): show it as written.
      return {
        ok: false,
        reason: 'malformedLine',
        message: `${name} line ${lineNo}: timestamp = ${rawNumber(raw, 'timestamp')}: is too large`,
      };
    }
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
      return lineError(name, lineNo, 'timestamp', ts, 'must be a number of ms >= 0');
    }
    const input = record['input_length'];
    if (typeof input !== 'number' || !Number.isInteger(input) || input < 0) {
      return lineError(name, lineNo, 'input_length', input, 'must be a whole number >= 0');
    }
    const output = record['output_length'];
    if (typeof output !== 'number' || !Number.isInteger(output) || output < 0) {
      return lineError(name, lineNo, 'output_length', output, 'must be a whole number >= 0');
    }
    rows.push({ offsetMs: ts, prompt: input, output, lineNo, time: ts });
  }
  if (rows.length === 0) return { ok: false, reason: 'emptyTrace', message: `${name}: no requests` };
  return finish(name, 'mooncake-jsonl', rows, 'timestamp');
}

/** The span the simulator replays at most: it keeps per-second series, so a longer span is a typo. */
export const MAX_TRACE_SPAN_MS = 7 * 24 * 3_600_000;

interface Row {
  readonly offsetMs: number;
  readonly prompt: number;
  readonly output: number;
  readonly lineNo: number;
  /** The time field as written, for errors. */
  readonly time: unknown;
}

function finish(
  name: string,
  format: TraceFormat,
  rows: readonly Row[],
  timeField: string,
): TraceParseResult {
  const latest = rows.reduce((max, r) => (r.offsetMs > max.offsetMs ? r : max));
  if (latest.offsetMs > MAX_TRACE_SPAN_MS) {
    const days = (latest.offsetMs / 86_400_000).toFixed(1);
    return lineError(
      name,
      latest.lineNo,
      timeField,
      latest.time,
      `is ${days} days after the trace's first request; the simulator replays at most ${MAX_TRACE_SPAN_MS / 86_400_000} days (split the trace)`,
    );
  }
  // Stable sort: the files are sorted, but nothing here should depend on it.
  const sorted = rows.map((r, i) => ({ ...r, i })).sort((a, b) => a.offsetMs - b.offsetMs || a.i - b.i);
  const requests: InferenceRequest[] = sorted.map((r, id) => ({
    id,
    arrivalMs: r.offsetMs,
    promptTokens: r.prompt,
    outputTokens: r.output,
  }));
  const last = requests[requests.length - 1] as InferenceRequest;
  return { ok: true, trace: { name, format, requests, durationMs: last.arrivalMs } };
}

/** The trace's name for reports: its file name without extension. */
export function traceNameOf(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.(csv|jsonl|json)$/i, '');
}
