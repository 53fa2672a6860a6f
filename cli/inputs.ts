import { z } from 'zod';
import type { ConfigIssue, MetricValues, ServiceObservation } from '../autoscaler/index.js';
import { formatIssue, parseJsonBounded } from '../autoscaler/index.js';
import type { CapacitySnapshot } from '../gpu-registry/index.js';
import { zodIssuesToConfigIssues } from '../gpu-registry/index.js';

/**
 * Parsing of the command line's JSON inputs (`--state`, `--metrics`, `--capacity`, `--now`, stdin lines)
 * and of the config file. The shapes are documented in README-shapes.md. Every error names the input, the
 * field and the value, in the same `key.field = value: message` form as config issues.
 */

/** A parse result: the value, or the issues (one line each). */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

/** The latest time a Date can hold: 8.64e15 ms after the epoch (+275760-09-13). */
export const MAX_DATE_MS = 8.64e15;
const TIME_USAGE = 'must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z)';
/** `2026-11-23`, `2026-11-23T07:00Z`, `2026-11-23T07:00:00.5+01:00`: a date, or a date-time with a zone. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A time as ms since the epoch, or why it is refused: a number must be whole ms within what a Date holds;
 * a string is whole ms of at least 11 digits (fewer read as a year or as seconds: `2026` is not 2 s after
 * 1970) or an ISO date (UTC midnight) or date-time with its zone, and a date that does not exist
 * (2026-02-31) is refused rather than rolled over.
 */
export function parseTime(value: unknown): { ok: true; ms: number } | { ok: false; message: string } {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) return { ok: false, message: `${TIME_USAGE}: whole ms >= 0` };
    if (value > MAX_DATE_MS) return { ok: false, message: 'is beyond the latest time a date can hold' };
    return { ok: true, ms: value };
  }
  if (typeof value !== 'string') return { ok: false, message: TIME_USAGE };
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    if (text.length < 11) {
      return {
        ok: false,
        message: `is ambiguous (a year? seconds?): give ms since the epoch (13 digits today) or an ISO time`,
      };
    }
    const ms = Number(text);
    if (ms > MAX_DATE_MS) return { ok: false, message: 'is beyond the latest time a date can hold' };
    return { ok: true, ms };
  }
  const match = ISO_TIME.exec(text);
  if (match === null) return { ok: false, message: TIME_USAGE };
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const start = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1);
  const date = new Date(start);
  if (date.getUTCMonth() !== (month ?? 1) - 1 || date.getUTCDate() !== day) {
    return { ok: false, message: 'is not a real date' };
  }
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) {
    return { ok: false, message: 'is not a real time of day' };
  }
  if (match[4] !== undefined && match[7] === undefined) {
    return { ok: false, message: 'must give its time zone (Z or an offset like +01:00)' };
  }
  const ms = match[4] === undefined ? start : Date.parse(text.replace(' ', 'T'));
  if (!Number.isFinite(ms) || ms < 0) return { ok: false, message: `${TIME_USAGE}, not before 1970` };
  return { ok: true, ms };
}

const timeSchema = z.union([z.number(), z.string()], { error: TIME_USAGE }).transform((value, ctx) => {
  const time = parseTime(value);
  if (!time.ok) {
    ctx.addIssue({ code: 'custom', message: time.message });
    return z.NEVER;
  }
  return time.ms;
});

const numberError = (iss: { input?: unknown }): string =>
  iss.input === undefined ? 'required' : 'must be a number';

const recommendationSchema = z.strictObject({
  atMs: timeSchema,
  tier: z.string({ error: 'must be a string' }),
  replicas: z
    .number({ error: numberError })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be >= 0' }),
  idle: z.boolean({ error: 'must be true or false' }).optional(),
});

const ACTIONS = ['up', 'down', 'out', 'in'] as const;

/** `--state`: what the controller saw of the service (ServiceObservation). */
export const stateSchema = z.strictObject({
  tier: z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a string') }),
  readyReplicas: z
    .number({ error: numberError })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be >= 0' }),
  migrationInFlight: z.boolean({ error: 'must be true or false' }).default(false),
  recommendations: z.array(recommendationSchema, { error: 'must be a list' }).default([]),
  lastActionAtMs: timeSchema.optional(),
  lastAction: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }).optional(),
  tierBackoffUntilMs: z.record(z.string(), timeSchema, { error: 'must be a map of tier: time' }).optional(),
});

/** `--metrics`: metric name -> number; null = no data; "NaN", "+Inf", "-Inf" as strings. */
export const metricsSchema = z.record(
  z.string(),
  z.union([z.number(), z.null(), z.enum(['NaN', '+Inf', '-Inf', 'Inf'])], {
    error: 'must be a number, null (no data), "NaN", "+Inf" or "-Inf"',
  }),
  { error: 'must be an object of metric name: value' },
);

/** `--capacity`: free units per node (CapacitySnapshot). */
export const capacitySchema = z.strictObject({
  nodes: z.array(
    z.strictObject({
      name: z.string({ error: 'must be a string' }),
      free: z.record(
        z.string(),
        z
          .number({ error: 'must be a number' })
          .int({ error: 'must be a whole number of units' })
          .min(0, { error: 'must be >= 0' }),
        {
          error: 'must be a map of resource: units',
        },
      ),
    }),
    { error: 'must be a list of nodes' },
  ),
});

const fieldsOf = (schema: { shape: object }): readonly string[] => Object.keys(schema.shape);

function parseWith<T>(
  key: string,
  schema: z.ZodType<T>,
  input: unknown,
  known: readonly string[],
): Parsed<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues: ConfigIssue[] = zodIssuesToConfigIssues(key, [], input, parsed.error.issues, () => known);
  return { ok: false, errors: issues.map(formatIssue) };
}

/** Parses `--state` (or a stdin line's `state`). */
export function parseState(key: string, input: unknown): Parsed<ServiceObservation> {
  const parsed = parseWith(key, stateSchema, input, fieldsOf(stateSchema));
  if (!parsed.ok) return parsed;
  const s = parsed.value;
  return {
    ok: true,
    value: {
      tier: s.tier,
      readyReplicas: s.readyReplicas,
      migrationInFlight: s.migrationInFlight,
      recommendations: s.recommendations.map((r) => ({ ...r })),
      ...(s.lastActionAtMs === undefined ? {} : { lastActionAtMs: s.lastActionAtMs }),
      ...(s.lastAction === undefined ? {} : { lastAction: s.lastAction }),
      ...(s.tierBackoffUntilMs === undefined ? {} : { tierBackoffUntilMs: s.tierBackoffUntilMs }),
    },
  };
}

const SPECIAL_VALUES: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  '+Inf': Number.POSITIVE_INFINITY,
  Inf: Number.POSITIVE_INFINITY,
  '-Inf': Number.NEGATIVE_INFINITY,
};

/** Parses `--metrics`: null becomes "no data" (undefined), the special strings their numbers. */
export function parseMetrics(key: string, input: unknown): Parsed<MetricValues> {
  const parsed = parseWith(key, metricsSchema, input, []);
  if (!parsed.ok) return parsed;
  const values: Record<string, number | undefined> = {};
  for (const [name, value] of Object.entries(parsed.value)) {
    values[name] = value === null ? undefined : typeof value === 'string' ? SPECIAL_VALUES[value] : value;
  }
  return { ok: true, value: values };
}

/** Parses `--capacity`. */
export function parseCapacity(key: string, input: unknown): Parsed<CapacitySnapshot> {
  return parseWith(key, capacitySchema, input, fieldsOf(capacitySchema));
}

/** Parses `--now` or a line's `now`: ms since the epoch or an ISO time. */
export function parseNow(key: string, input: unknown): Parsed<number> {
  const time = parseTime(input);
  if (time.ok) return { ok: true, value: time.ms };
  return { ok: false, errors: [formatIssue({ key, path: '', value: input, message: time.message })] };
}

/** Parses a JSON option value; `@file` reads the JSON from a file via `readText`. */
export function parseJsonOption(
  key: string,
  raw: string,
  readText: (path: string) => string,
): Parsed<unknown> {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readText(raw.slice(1));
    } catch (error) {
      return { ok: false, errors: [`${key}: cannot read ${raw.slice(1)}: ${(error as Error).message}`] };
    }
  }
  const parsed = parseJsonBounded(text);
  return parsed.ok ? parsed : { ok: false, errors: [`${key}: ${parsed.message}`] };
}

export { configDataFromText } from '../autoscaler/index.js';
