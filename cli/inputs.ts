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

const timeSchema = z
  .union([z.number(), z.string()], { error: 'must be ms since the epoch or an ISO time' })
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be ms since the epoch or an ISO time' });
      return z.NEVER;
    }
    return ms;
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
      free: z.record(z.string(), z.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' }), {
        error: 'must be a map of resource: units',
      }),
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
  const parsed = timeSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: [
      formatIssue({ key, path: '', value: input, message: 'must be ms since the epoch or an ISO time' }),
    ],
  };
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
