import { z } from 'zod';
import {
  DEFAULT_CATALOG,
  DEFAULT_LADDER,
  familyLadder,
  formatPath,
  mergeCatalog,
  zodIssuesToConfigIssues,
  type TierCatalog,
} from '../gpu-registry/index.js';
import type {
  AutoscalerConfig,
  ConfigIssue,
  GlobalSettings,
  IdlePolicy,
  MetricSpec,
  MigrationSettings,
  ServiceConfig,
  ServiceSettings,
  SizingProfile,
  SizingQueries,
  SizingSettings,
} from './types.js';
import { credentialsFromEnvironment, prometheusAuthSchema, prometheusTlsSchema } from './prometheus-auth.js';
import { REDACTED, redactConfigIssue } from './redact.js';
import { describeBytes, loadYamlBounded, MAX_DOCUMENT_BYTES, renderBounded } from './bounded-input.js';

/**
 * Parsing and validation of the `autoscaler-config` ConfigMap (pure: takes the `data` map and the
 * environment, returns data).
 *
 * Format (the original's, unchanged): one key per Knative Service, named exactly like it (dashes allowed);
 * the value is a YAML list of metric blocks `{name, query, slo, scaleUpFactor, scaleDownFactor}` where `%s`
 * is the pod name. Extensions: per metric `direction` and `aggregate`; the value may instead be an object
 * `{metrics: [...], settings: {...}}`; reserved keys `_global` (controller settings) and `_tiers` (catalog
 * additions and overrides).
 *
 * Precedence of global settings: the ConfigMap's `_global` key wins over the environment, which wins over
 * the built-in defaults. `configMapName`, `configMapNamespace`, `defaultCpu` and `defaultMemory` come only
 * from the environment (the ConfigMap cannot name itself).
 *
 * Thresholds: for `lowerIsBetter` (latency) pressure is `value > slo * scaleUpFactor` and slack is
 * `value < slo * scaleDownFactor`, so `scaleDownFactor < scaleUpFactor`. For `higherIsBetter` (throughput)
 * the meaning is mirrored: pressure is `value < slo * scaleUpFactor`, slack is `value > slo * scaleDownFactor`,
 * so `scaleUpFactor < scaleDownFactor`.
 */

/** Keys of the ConfigMap that are not services. */
export const RESERVED_KEYS = ['_global', '_tiers', '_profiles'] as const;
/** Placeholders a query may use besides `%s`. */
export const KNOWN_PLACEHOLDERS = ['namespace', 'service', 'revision', 'pod', 'podRegex'] as const;
/** The name under which the shell passes the idle policy's request rate among the metric values. */
export const REQUEST_RATE_METRIC = '__requestRate';
/**
 * `settings.loadGrowth`: the arrivals query runs evaluated now and 1, 2 and 3 minutes ago (Prometheus's
 * `time` parameter); the shell passes each count among the values under its name. Newest first.
 */
export const ARRIVAL_COUNTS = [
  { name: '__arrivals0m', offsetSeconds: 0 },
  { name: '__arrivals1m', offsetSeconds: 60 },
  { name: '__arrivals2m', offsetSeconds: 120 },
  { name: '__arrivals3m', offsetSeconds: 180 },
] as const;
export const DEFAULT_LOAD_GROWTH_MAX_STEP_FACTOR = 2;

/** vLLM's series, summed over the serving revision's pods, each counted over the minute before evaluation. */
const VLLM_SELECTOR = '{namespace="{{namespace}}", pod=~"{{podRegex}}"}';

/**
 * The sizing planner's queries for vLLM (docs/configuration.md lists the TGI and SGLang equivalents). Arrivals
 * are the requests that finished plus the change in those running or waiting, so they stay right while the
 * service is saturated and queueing.
 */
export const DEFAULT_SIZING_QUERIES: SizingQueries = {
  arrivalsQuery: `sum(increase(vllm:request_success_total${VLLM_SELECTOR}[1m])) + sum(delta(vllm:num_requests_running${VLLM_SELECTOR}[1m])) + sum(delta(vllm:num_requests_waiting${VLLM_SELECTOR}[1m]))`,
  recentArrivalsQuery: `sum(increase(vllm:request_success_total${VLLM_SELECTOR}[30s])) + sum(delta(vllm:num_requests_running${VLLM_SELECTOR}[30s])) + sum(delta(vllm:num_requests_waiting${VLLM_SELECTOR}[30s]))`,
  completionsQuery: `sum(increase(vllm:request_success_total${VLLM_SELECTOR}[1m]))`,
  promptTokensQuery: `sum(increase(vllm:prompt_tokens_total${VLLM_SELECTOR}[1m]))`,
  outputTokensQuery: `sum(increase(vllm:generation_tokens_total${VLLM_SELECTOR}[1m]))`,
};

/**
 * The headroom floor and dead band: the HPA's tolerance (0.1). A capacity within 10% of the demand's need is
 * not acted on, so the floor must cover at least that much, or the service could sit 10% short unnoticed.
 */
export const DEFAULT_HEADROOM_FLOOR = 0.1;

export const DEFAULT_SIZING_SETTINGS: SizingSettings = {
  headroomFloor: DEFAULT_HEADROOM_FLOOR,
  countWindowSeconds: 60,
  recentWindowSeconds: 30,
  queries: DEFAULT_SIZING_QUERIES,
};

export const DEFAULT_PROMETHEUS_URL =
  'http://prometheus-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090';

/** Built-in defaults of the global settings (before the environment and `_global`). */
export const DEFAULT_GLOBAL_SETTINGS: GlobalSettings = {
  intervalSeconds: 10,
  namespaces: ['default'],
  prometheusUrl: DEFAULT_PROMETHEUS_URL,
  prometheusTimeoutMs: 5000,
  prometheusHeaders: {},
  ignore: [],
  configMapName: 'autoscaler-config',
  configMapNamespace: 'default',
  defaultCpu: '1',
  defaultMemory: '10Gi',
  maxConcurrentServices: 4,
};

export const DEFAULT_MIGRATION_SETTINGS: MigrationSettings = {
  readyTimeoutSeconds: 300,
  drainSeconds: 30,
  trafficSteps: [100],
  stepPauseSeconds: 30,
  tierBackoffSeconds: 600,
};

/**
 * The cooldown, counted from when the last action's configuration is in place (the planner) or from its start
 * (step): the effect must be visible before the next action, so one 1-minute metric window plus one scrape
 * (15 s at the default 15 s scrape interval): 75 s.
 */
export const DEFAULT_COOLDOWN_SECONDS = 75;

/** `maxReplicas` when not given is max(this, minReplicas). */
export const DEFAULT_MAX_REPLICAS = 4;
export const DEFAULT_IDLE_AFTER_SECONDS = 300;

/** Defaults of a service block given as a plain list of metrics. */
export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  policy: 'size',
  ladder: DEFAULT_LADDER,
  ladderDefaulted: true,
  minReplicas: 1,
  maxReplicas: DEFAULT_MAX_REPLICAS,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 300,
  cooldownSeconds: DEFAULT_COOLDOWN_SECONDS,
  sizing: DEFAULT_SIZING_SETTINGS,
  dryRun: false,
  migration: DEFAULT_MIGRATION_SETTINGS,
};

/**
 * The settings DecideScale works with for a service on `tierName`: unchanged, unless the block named no
 * ladder (nor a min/max tier) and the tier is not on the default ladder but known to the catalog; then the
 * tier's own family is the ladder (an original config on A100-40GB or MPS slices stays within them).
 */
export function effectiveSettings(
  settings: ServiceSettings,
  catalog: TierCatalog,
  tierName: string,
): ServiceSettings {
  if (settings.ladderDefaulted !== true || settings.ladder.includes(tierName)) return settings;
  if (settings.minTier !== undefined || settings.maxTier !== undefined) return settings;
  const family = familyLadder(catalog, tierName);
  return family === undefined ? settings : { ...settings, ladder: family };
}

/** The environment as a plain map (`process.env` in the shell). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The result of `parseConfig`: `config` is undefined only when the document as a whole is unusable. */
export interface ParsedConfig {
  readonly config: AutoscalerConfig | undefined;
  readonly issues: readonly ConfigIssue[];
}

const MAX_VALUE_CHARS = 80;

/**
 * Renders a bad value for an issue line: strings quoted, missing as `(missing)`, long values shortened.
 * Never throws and never serialises more than it shows (a value may contain itself or be huge).
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (value === REDACTED) return REDACTED;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const shorten = (text: string): string =>
    text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
  if (typeof value === 'string') return JSON.stringify(shorten(value.slice(0, MAX_VALUE_CHARS + 1)));
  return shorten(renderBounded(value, MAX_VALUE_CHARS));
}

/** `key[index].field = value: message`, e.g. `gpt2[0].slo = -1: must be > 0`. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.key}${issue.path} = ${formatValue(issue.value)}: ${issue.message}`;
}

/** Accepts a Prometheus base URL or one ending in `/api/v1/query` (the original's form); returns the base. */
export function normalisePrometheusUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1\/query$/, '')
    .replace(/\/+$/, '');
}

/** Whether the controller skips `service` (the original's IGNORE_LIST: substrings of service names). */
export function isIgnored(service: string, global: GlobalSettings): boolean {
  return global.ignore.some((part) => part !== '' && service.includes(part));
}

/** The pressure and slack thresholds of a metric: `slo * scaleUpFactor` and `slo * scaleDownFactor`. */
export function metricThresholds(metric: MetricSpec): { readonly up: number; readonly down: number } {
  return { up: metric.slo * metric.scaleUpFactor, down: metric.slo * metric.scaleDownFactor };
}

// ---------------------------------------------------------------------------------------------------------
// Schemas. Messages are the user-facing text after `field = value: `.

/** A number as YAML writes one; js-yaml leaves a float beyond 1.8e308 (`1e400`) a string. */
const NUMERAL = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

const numberError = (iss: { input?: unknown }): string => {
  const input = iss.input;
  if (input === undefined) return 'required';
  if (typeof input === 'number') return 'must be a finite number';
  if (typeof input === 'string' && NUMERAL.test(input.trim())) {
    return Number.isFinite(Number(input))
      ? 'must be a number, not a quoted string'
      : 'too large (the largest number is about 1.8e308)';
  }
  return 'must be a number';
};
const stringError = (iss: { input?: unknown }): string =>
  iss.input === undefined ? 'required' : 'must be a string';

const finite = () => z.number({ error: numberError });
const positiveNumber = () => finite().positive({ error: 'must be > 0' });
const nonNegativeNumber = () => finite().min(0, { error: 'must be >= 0' });
const wholeNumber = () =>
  finite().int({
    error: (iss) =>
      Number.isInteger(iss.input) ? 'too large (at most 9007199254740991)' : 'must be a whole number',
  });
const nonEmptyString = () => z.string({ error: stringError }).min(1, { error: 'must not be empty' });

/** The longest a Node timer can wait (2^31-1 ms, 24.8 days): a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest duration in seconds a setting may give: what a timer can wait, in whole seconds. */
export const MAX_DURATION_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
const tooLongSeconds = `must be at most ${MAX_DURATION_SECONDS} (24.8 days, the longest a timer can wait)`;
/** A duration in seconds (fractions allowed), > 0 or >= 0, bounded so that its timer cannot overflow. */
const durationSeconds = (min: 'positive' | 'nonNegative') =>
  (min === 'positive' ? positiveNumber() : nonNegativeNumber()).max(MAX_DURATION_SECONDS, {
    error: tooLongSeconds,
  });
/** A duration in whole milliseconds, > 0, bounded so that its timer cannot overflow. */
const durationMs = () =>
  wholeNumber()
    .positive({ error: 'must be > 0' })
    .max(MAX_TIMER_MS, {
      error: `must be at most ${MAX_TIMER_MS} (24.8 days, the longest a timer can wait)`,
    });

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Characters an HTTP header value must not hold: controls but tab (CR and LF would start a new header). */
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = () =>
  nonEmptyString()
    .max(63, { error: 'must be at most 63 characters' })
    .regex(DNS_LABEL, { error: 'must be a DNS label (lower-case letters, digits and dashes)' });

const DIRECTIONS = ['lowerIsBetter', 'higherIsBetter'] as const;
const AGGREGATES = ['max', 'avg', 'sum'] as const;
const POLICIES = ['size', 'step', 'ksiss-original'] as const;
/** Accepted for ConfigMaps written before the planner: `k-siss` was the name of the ladder walk. */
const LEGACY_POLICY_NAMES: Readonly<Record<string, (typeof POLICIES)[number]>> = { 'k-siss': 'step' };

const metricSchema = z.strictObject({
  name: nonEmptyString(),
  query: nonEmptyString(),
  slo: positiveNumber(),
  scaleUpFactor: positiveNumber(),
  scaleDownFactor: positiveNumber(),
  direction: z
    .enum(DIRECTIONS, { error: `must be one of ${DIRECTIONS.join(', ')}` })
    .default('lowerIsBetter'),
  aggregate: z.enum(AGGREGATES, { error: `must be one of ${AGGREGATES.join(', ')}` }).default('max'),
});

const percentStep = () =>
  wholeNumber()
    .min(1, { error: 'must be between 1 and 100' })
    .max(100, { error: 'must be between 1 and 100' });

const migrationSchema = z.strictObject({
  readyTimeoutSeconds: durationSeconds('positive').default(DEFAULT_MIGRATION_SETTINGS.readyTimeoutSeconds),
  drainSeconds: durationSeconds('nonNegative').default(DEFAULT_MIGRATION_SETTINGS.drainSeconds),
  trafficSteps: z
    .array(percentStep(), { error: 'must be a list of percentages' })
    .min(1, { error: 'must not be empty' })
    .default([...DEFAULT_MIGRATION_SETTINGS.trafficSteps]),
  stepPauseSeconds: durationSeconds('nonNegative').default(DEFAULT_MIGRATION_SETTINGS.stepPauseSeconds),
  tierBackoffSeconds: durationSeconds('nonNegative').default(DEFAULT_MIGRATION_SETTINGS.tierBackoffSeconds),
});

const idleSchema = z.strictObject({
  requestRateQuery: nonEmptyString(),
  afterSeconds: durationSeconds('nonNegative').default(DEFAULT_IDLE_AFTER_SECONDS),
});

const loadGrowthSchema = z.strictObject({
  arrivalsQuery: nonEmptyString(),
  maxStepFactor: positiveNumber()
    .min(1, { error: 'must be >= 1' })
    .default(DEFAULT_LOAD_GROWTH_MAX_STEP_FACTOR),
});

const tierCapacitySchema = z.strictObject({
  promptTokensPerS: positiveNumber().optional(),
  outputTokensPerS: positiveNumber().optional(),
  requestsPerS: positiveNumber().optional(),
});

/** `_profiles`: profile name -> tier name -> what one replica sustains within the SLOs. */
const profilesSchema = z.record(
  nonEmptyString(),
  z.record(nonEmptyString(), tierCapacitySchema, { error: 'must be a map of tier: capacity' }),
  { error: 'must be a map of profile name: {tier: capacity}' },
);

const sizingSchema = z.strictObject({
  profile: nonEmptyString().optional(),
  headroomFloor: nonNegativeNumber().max(10, { error: 'must be <= 10' }).default(DEFAULT_HEADROOM_FLOOR),
  countWindowSeconds: positiveNumber()
    .max(3600, { error: 'must be <= 3600' })
    .default(DEFAULT_SIZING_SETTINGS.countWindowSeconds),
  recentWindowSeconds: positiveNumber()
    .max(3600, { error: 'must be <= 3600' })
    .default(DEFAULT_SIZING_SETTINGS.recentWindowSeconds),
  arrivalsQuery: nonEmptyString().default(DEFAULT_SIZING_QUERIES.arrivalsQuery),
  recentArrivalsQuery: nonEmptyString().default(DEFAULT_SIZING_QUERIES.recentArrivalsQuery),
  completionsQuery: nonEmptyString().default(DEFAULT_SIZING_QUERIES.completionsQuery),
  promptTokensQuery: nonEmptyString().default(DEFAULT_SIZING_QUERIES.promptTokensQuery),
  outputTokensQuery: nonEmptyString().default(DEFAULT_SIZING_QUERIES.outputTokensQuery),
});

const settingsSchema = z.strictObject({
  namespace: dnsLabel().optional(),
  policy: z
    .preprocess(
      (value) => (typeof value === 'string' ? (LEGACY_POLICY_NAMES[value] ?? value) : value),
      z.enum(POLICIES, { error: `must be one of ${POLICIES.join(', ')}` }),
    )
    .default('size'),
  ladder: z
    .array(nonEmptyString(), { error: 'must be a list of tier names' })
    .min(1, { error: 'must not be empty' })
    .optional(),
  minTier: nonEmptyString().optional(),
  maxTier: nonEmptyString().optional(),
  minReplicas: wholeNumber().min(1, { error: 'must be >= 1' }).default(1),
  maxReplicas: wholeNumber().min(1, { error: 'must be >= 1' }).optional(),
  scaleUpStabilizationSeconds: durationSeconds('nonNegative').default(0),
  scaleDownStabilizationSeconds: durationSeconds('nonNegative').default(300),
  cooldownSeconds: durationSeconds('nonNegative').default(DEFAULT_COOLDOWN_SECONDS),
  idle: idleSchema.optional(),
  loadGrowth: loadGrowthSchema.optional(),
  sizing: sizingSchema.prefault({}),
  dryRun: z.boolean({ error: 'must be true or false' }).default(false),
  migration: migrationSchema.prefault({}),
});

const serviceObjectSchema = z.strictObject({
  metrics: z.array(z.unknown(), { error: 'must be a list of metrics' }),
  settings: z.unknown().optional(),
});

const globalSchema = z.strictObject({
  intervalSeconds: durationSeconds('positive').optional(),
  namespaces: z
    .array(dnsLabel(), { error: 'must be a list of namespaces' })
    .min(1, { error: 'must not be empty' })
    .optional(),
  prometheusUrl: nonEmptyString().optional(),
  prometheusTimeoutMs: durationMs().optional(),
  prometheusHeaders: z
    .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be a map of header: value' })
    .optional(),
  prometheusAuth: prometheusAuthSchema.optional(),
  prometheusTls: prometheusTlsSchema.optional(),
  ignore: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).optional(),
  maxConcurrentServices: wholeNumber().min(1, { error: 'must be >= 1' }).optional(),
});

const fieldsOf = (schema: { shape: object }): readonly string[] => Object.keys(schema.shape);
const METRIC_FIELDS = fieldsOf(metricSchema);
const SETTINGS_FIELDS = fieldsOf(settingsSchema);
const MIGRATION_FIELDS = fieldsOf(migrationSchema);
const IDLE_FIELDS = fieldsOf(idleSchema);
const LOAD_GROWTH_FIELDS = fieldsOf(loadGrowthSchema);
const SIZING_FIELDS = fieldsOf(sizingSchema);
const TIER_CAPACITY_FIELDS = fieldsOf(tierCapacitySchema);
const SERVICE_OBJECT_FIELDS = fieldsOf(serviceObjectSchema);
const GLOBAL_FIELDS = fieldsOf(globalSchema);

const settingsFields = (path: readonly PropertyKey[]): readonly string[] => {
  if (path[0] === 'migration') return MIGRATION_FIELDS;
  if (path[0] === 'idle') return IDLE_FIELDS;
  if (path[0] === 'loadGrowth') return LOAD_GROWTH_FIELDS;
  if (path[0] === 'sizing') return SIZING_FIELDS;
  return SETTINGS_FIELDS;
};

// ---------------------------------------------------------------------------------------------------------

type Issues = ConfigIssue[];

function parseYaml(key: string, raw: string, issues: Issues): { ok: true; value: unknown } | { ok: false } {
  const parsed = loadYamlBounded(raw);
  if (parsed.ok) return parsed;
  issues.push({ key, path: '', value: raw, message: parsed.message });
  return { ok: false };
}

/** Unknown `{{x}}` placeholders of a query (exact names, no spaces inside the braces). */
export function unknownPlaceholders(query: string): readonly string[] {
  const known: readonly string[] = KNOWN_PLACEHOLDERS;
  const found = [...query.matchAll(/\{\{([^{}]*)\}\}/g)].map((match) => match[1] ?? '');
  return [...new Set(found.filter((name) => !known.includes(name)))];
}

function checkQuery(key: string, path: string, query: string, issues: Issues): void {
  const unknown = unknownPlaceholders(query);
  if (unknown.length > 0) {
    issues.push({
      key,
      path,
      value: query,
      message: `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(', ')} (known: %s, ${KNOWN_PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')})`,
    });
  }
}

function parseMetrics(
  key: string,
  base: readonly PropertyKey[],
  root: unknown,
  list: unknown,
  issues: Issues,
): MetricSpec[] {
  if (!Array.isArray(list)) {
    issues.push({ key, path: formatPath(base), value: list, message: 'must be a YAML list of metrics' });
    return [];
  }
  if (list.length === 0) {
    issues.push({ key, path: formatPath(base), value: list, message: 'must list at least one metric' });
    return [];
  }
  const metrics: MetricSpec[] = [];
  const names = new Map<string, number>();
  list.forEach((entry: unknown, index) => {
    const at = [...base, index];
    const parsed = metricSchema.safeParse(entry);
    if (!parsed.success) {
      issues.push(...zodIssuesToConfigIssues(key, at, root, parsed.error.issues, () => METRIC_FIELDS));
      return;
    }
    const metric = parsed.data;
    const field = (name: string): string => formatPath([...at, name]);
    const before = issues.length;
    if (metric.name.startsWith('__')) {
      issues.push({
        key,
        path: field('name'),
        value: metric.name,
        message: 'names starting with __ are reserved',
      });
    }
    const first = names.get(metric.name);
    if (first !== undefined) {
      issues.push({
        key,
        path: field('name'),
        value: metric.name,
        message: `duplicate metric name (also at [${first}])`,
      });
    } else {
      names.set(metric.name, index);
    }
    checkQuery(key, field('query'), metric.query, issues);
    if (metric.direction === 'lowerIsBetter' && !(metric.scaleDownFactor < metric.scaleUpFactor)) {
      issues.push({
        key,
        path: field('scaleDownFactor'),
        value: metric.scaleDownFactor,
        message: `must be < scaleUpFactor (${metric.scaleUpFactor}) when direction is lowerIsBetter`,
      });
    }
    if (metric.direction === 'higherIsBetter' && !(metric.scaleDownFactor > metric.scaleUpFactor)) {
      issues.push({
        key,
        path: field('scaleDownFactor'),
        value: metric.scaleDownFactor,
        message: `must be > scaleUpFactor (${metric.scaleUpFactor}) when direction is higherIsBetter`,
      });
    }
    if (issues.length === before) metrics.push(metric);
  });
  return metrics;
}

function parseSettings(
  key: string,
  base: readonly PropertyKey[],
  root: unknown,
  raw: unknown,
  catalog: TierCatalog,
  global: GlobalSettings,
  issues: Issues,
  profiles: ReadonlyMap<string, SizingProfile>,
): ServiceSettings | undefined {
  const parsed = settingsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    issues.push(...zodIssuesToConfigIssues(key, base, root, parsed.error.issues, settingsFields));
    return undefined;
  }
  const s = parsed.data;
  const before = issues.length;
  const field = (...parts: PropertyKey[]): string => formatPath([...base, ...parts]);
  const ladder = s.ladder ?? DEFAULT_LADDER;
  const seen = new Set<string>();
  ladder.forEach((name, index) => {
    const tier = catalog.get(name);
    if (tier === undefined) {
      issues.push({
        key,
        path: field('ladder', index),
        value: name,
        message: 'unknown tier (not in the catalog; add it under _tiers)',
      });
      return;
    }
    if (seen.has(name)) {
      issues.push({ key, path: field('ladder', index), value: name, message: 'listed twice' });
      return;
    }
    seen.add(name);
    const previousName = ladder[index - 1];
    const previous = previousName === undefined ? undefined : catalog.get(previousName);
    if (
      previous !== undefined &&
      (tier.computeFraction < previous.computeFraction || tier.memoryGb < previous.memoryGb)
    ) {
      issues.push({
        key,
        path: field('ladder', index),
        value: name,
        message: `must not be smaller than the tier before it (${previous.name}): ladders go smallest first`,
      });
    }
  });
  for (const bound of ['minTier', 'maxTier'] as const) {
    const name = s[bound];
    if (name !== undefined && !ladder.includes(name)) {
      issues.push({
        key,
        path: field(bound),
        value: name,
        message: `must be one of the ladder's tiers (${ladder.join(', ')})`,
      });
    }
  }
  if (
    s.minTier !== undefined &&
    s.maxTier !== undefined &&
    ladder.indexOf(s.maxTier) >= 0 &&
    ladder.indexOf(s.maxTier) < ladder.indexOf(s.minTier)
  ) {
    issues.push({
      key,
      path: field('maxTier'),
      value: s.maxTier,
      message: `must not be below minTier (${s.minTier}) on the ladder`,
    });
  }
  const maxReplicas = s.maxReplicas ?? Math.max(DEFAULT_MAX_REPLICAS, s.minReplicas);
  if (s.maxReplicas !== undefined && s.maxReplicas < s.minReplicas) {
    issues.push({
      key,
      path: field('maxReplicas'),
      value: s.maxReplicas,
      message: `must be >= minReplicas (${s.minReplicas})`,
    });
  }
  const steps = s.migration.trafficSteps;
  const notIncreasing = steps.findIndex((step, index) => index > 0 && step <= (steps[index - 1] ?? 0));
  if (notIncreasing > 0) {
    issues.push({
      key,
      path: field('migration', 'trafficSteps', notIncreasing),
      value: steps[notIncreasing],
      message: `must be greater than the step before it (${steps[notIncreasing - 1]})`,
    });
  } else if (steps[steps.length - 1] !== 100) {
    issues.push({ key, path: field('migration', 'trafficSteps'), value: steps, message: 'must end at 100' });
  }
  if (s.idle !== undefined)
    checkQuery(key, field('idle', 'requestRateQuery'), s.idle.requestRateQuery, issues);
  if (s.loadGrowth !== undefined) {
    checkQuery(key, field('loadGrowth', 'arrivalsQuery'), s.loadGrowth.arrivalsQuery, issues);
  }
  const {
    profile: profileName,
    headroomFloor,
    countWindowSeconds,
    recentWindowSeconds,
    ...queries
  } = s.sizing;
  for (const [name, query] of Object.entries(queries)) checkQuery(key, field('sizing', name), query, issues);
  const profile = profileName === undefined ? undefined : profiles.get(profileName);
  if (profileName !== undefined && profile === undefined) {
    issues.push({
      key,
      path: field('sizing', 'profile'),
      value: profileName,
      message:
        profiles.size === 0
          ? 'unknown profile (the ConfigMap has no _profiles key)'
          : `unknown profile (known: ${[...profiles.keys()].join(', ')})`,
    });
  }
  if (s.namespace !== undefined && !global.namespaces.includes(s.namespace)) {
    issues.push({
      key,
      path: field('namespace'),
      value: s.namespace,
      message: `is not watched (namespaces: ${global.namespaces.join(', ')})`,
    });
  }
  if (issues.length > before) return undefined;
  const idle: IdlePolicy | undefined = s.idle;
  return {
    ...(s.namespace === undefined ? {} : { namespace: s.namespace }),
    policy: s.policy,
    ladder,
    ...(s.ladder === undefined ? { ladderDefaulted: true as const } : {}),
    ...(s.minTier === undefined ? {} : { minTier: s.minTier }),
    ...(s.maxTier === undefined ? {} : { maxTier: s.maxTier }),
    minReplicas: s.minReplicas,
    maxReplicas,
    scaleUpStabilizationSeconds: s.scaleUpStabilizationSeconds,
    scaleDownStabilizationSeconds: s.scaleDownStabilizationSeconds,
    cooldownSeconds: s.cooldownSeconds,
    ...(idle === undefined ? {} : { idle }),
    ...(s.loadGrowth === undefined ? {} : { loadGrowth: s.loadGrowth }),
    sizing: {
      ...(profile === undefined ? {} : { profile }),
      headroomFloor,
      countWindowSeconds,
      recentWindowSeconds,
      queries,
    },
    dryRun: s.dryRun,
    migration: s.migration,
  };
}

/** Validates one service block (the value of one ConfigMap key); undefined when it must be skipped. */
export function parseServiceBlock(
  key: string,
  raw: string,
  catalog: TierCatalog,
  global: GlobalSettings,
  issues: Issues,
  profiles: ReadonlyMap<string, SizingProfile> = new Map(),
): ServiceConfig | undefined {
  const before = issues.length;
  if (!DNS_LABEL.test(key) || key.length > 63 || !/^[a-z]/.test(key)) {
    issues.push({
      key,
      path: '',
      value: key,
      message:
        'key must be a Knative Service name (lower-case letters, digits and dashes, starting with a letter)',
    });
    return undefined;
  }
  const yaml = parseYaml(key, raw, issues);
  if (!yaml.ok) return undefined;
  const root = yaml.value;
  let metrics: MetricSpec[];
  let settings: ServiceSettings | undefined;
  if (Array.isArray(root)) {
    metrics = parseMetrics(key, [], root, root, issues);
    settings = parseSettings(key, ['settings'], root, undefined, catalog, global, issues, profiles);
  } else if (root !== null && typeof root === 'object') {
    const parsed = serviceObjectSchema.safeParse(root);
    if (!parsed.success) {
      issues.push(
        ...zodIssuesToConfigIssues(key, [], root, parsed.error.issues, () => SERVICE_OBJECT_FIELDS),
      );
      return undefined;
    }
    metrics = parseMetrics(key, ['metrics'], root, parsed.data.metrics, issues);
    settings = parseSettings(
      key,
      ['settings'],
      root,
      parsed.data.settings,
      catalog,
      global,
      issues,
      profiles,
    );
  } else {
    issues.push({
      key,
      path: '',
      value: root ?? raw,
      message: 'must be a YAML list of metrics, or an object with metrics and settings',
    });
    return undefined;
  }
  if (issues.length > before || settings === undefined) return undefined;
  return { service: key, metrics, settings };
}

/** A number > 0 from the environment, written in decimal (not `0x10`), whole if `integer`, at most `max`. */
function positiveFromEnv(
  env: Environment,
  name: string,
  issues: Issues,
  bounds: { readonly integer: boolean; readonly max: number },
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = NUMERAL.test(raw.trim()) ? Number(raw) : Number.NaN;
  const kind = bounds.integer ? 'a whole number' : 'a number';
  const problem =
    Number.isNaN(value) || value <= 0
      ? `must be ${kind} > 0, in decimal`
      : bounds.integer && !Number.isInteger(value)
        ? `must be ${kind} > 0 (no fraction)`
        : value > bounds.max
          ? `must be at most ${bounds.max}`
          : undefined;
  if (problem !== undefined) {
    issues.push({ key: 'env', path: `.${name}`, value: raw, message: problem });
    return undefined;
  }
  return value;
}

function stringFromEnv(env: Environment, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function checkUrl(key: string, path: string, url: string, issues: Issues): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    return normalisePrometheusUrl(url);
  } catch {
    issues.push({ key, path, value: url, message: 'must be an http(s) URL' });
    return undefined;
  }
}

/** Global settings from the environment over the defaults (the original's variable names). */
export function globalFromEnvironment(env: Environment, issues: Issues): GlobalSettings {
  const namespace = stringFromEnv(env, 'NAMESPACE');
  if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
    issues.push({
      key: 'env',
      path: '.NAMESPACE',
      value: namespace,
      message: 'must be a DNS label (lower-case letters, digits and dashes)',
    });
  }
  const url = stringFromEnv(env, 'PROMETHEUS_URL');
  const prometheusUrl = url === undefined ? undefined : checkUrl('env', '.PROMETHEUS_URL', url, issues);
  const interval = positiveFromEnv(env, 'METRICS_SCRAPE_INTERVAL', issues, {
    integer: false,
    max: MAX_DURATION_SECONDS,
  });
  const timeout = positiveFromEnv(env, 'PROMETHEUS_TIMEOUT_MS', issues, { integer: true, max: MAX_TIMER_MS });
  const concurrency = positiveFromEnv(env, 'MAX_CONCURRENT_SERVICES', issues, {
    integer: true,
    max: Number.MAX_SAFE_INTEGER,
  });
  const ignore = stringFromEnv(env, 'IGNORE_LIST');
  const d = DEFAULT_GLOBAL_SETTINGS;
  const configMapNamespace = namespace ?? d.configMapNamespace;
  return {
    intervalSeconds: interval ?? d.intervalSeconds,
    namespaces: [configMapNamespace],
    prometheusUrl: prometheusUrl ?? d.prometheusUrl,
    prometheusTimeoutMs: timeout ?? d.prometheusTimeoutMs,
    prometheusHeaders: d.prometheusHeaders,
    ...credentialsFromEnvironment(env, issues),
    ignore:
      ignore === undefined
        ? d.ignore
        : ignore
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== ''),
    configMapName: stringFromEnv(env, 'CONFIG_MAP_NAME') ?? d.configMapName,
    configMapNamespace,
    defaultCpu: stringFromEnv(env, 'DEFAULT_CPU') ?? d.defaultCpu,
    defaultMemory: stringFromEnv(env, 'DEFAULT_MEMORY') ?? d.defaultMemory,
    maxConcurrentServices: concurrency ?? d.maxConcurrentServices,
  };
}

/**
 * Pushes an issue per header whose name is not an HTTP token or whose value holds CR, LF or another
 * control character (which would be changed or split on the wire). The value itself is not shown: a
 * header often carries a credential.
 */
function headersValid(headers: Readonly<Record<string, string>>, issues: Issues): boolean {
  const before = issues.length;
  for (const [name, value] of Object.entries(headers)) {
    const path = formatPath(['prometheusHeaders', name]);
    if (!HEADER_NAME.test(name)) {
      issues.push({
        key: '_global',
        path: '.prometheusHeaders',
        value: name,
        message: "header name must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)",
      });
    } else if (HEADER_VALUE_FORBIDDEN.test(value)) {
      issues.push({
        key: '_global',
        path,
        value: `(${value.length} characters, not shown)`,
        message: 'must not contain CR, LF or other control characters (a YAML block scalar ends in LF)',
      });
    }
  }
  return issues.length === before;
}

function applyGlobalKey(base: GlobalSettings, raw: string, issues: Issues): GlobalSettings | undefined {
  const key = '_global';
  const yaml = parseYaml(key, raw, issues);
  if (!yaml.ok) return undefined;
  if (yaml.value === undefined || yaml.value === null) return base;
  if (typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
    issues.push({ key, path: '', value: yaml.value, message: 'must be a YAML object of global settings' });
    return undefined;
  }
  const parsed = globalSchema.safeParse(yaml.value);
  if (!parsed.success) {
    issues.push(...zodIssuesToConfigIssues(key, [], yaml.value, parsed.error.issues, () => GLOBAL_FIELDS));
    return undefined;
  }
  const g = parsed.data;
  if (g.prometheusHeaders !== undefined && !headersValid(g.prometheusHeaders, issues)) return undefined;
  const url =
    g.prometheusUrl === undefined ? undefined : checkUrl(key, '.prometheusUrl', g.prometheusUrl, issues);
  if (g.prometheusUrl !== undefined && url === undefined) return undefined;
  return {
    ...base,
    ...(g.intervalSeconds === undefined ? {} : { intervalSeconds: g.intervalSeconds }),
    ...(g.namespaces === undefined ? {} : { namespaces: g.namespaces }),
    ...(url === undefined ? {} : { prometheusUrl: url }),
    ...(g.prometheusTimeoutMs === undefined ? {} : { prometheusTimeoutMs: g.prometheusTimeoutMs }),
    ...(g.prometheusHeaders === undefined ? {} : { prometheusHeaders: g.prometheusHeaders }),
    ...(g.prometheusAuth === undefined ? {} : { prometheusAuth: g.prometheusAuth }),
    ...(g.prometheusTls === undefined ? {} : { prometheusTls: g.prometheusTls }),
    ...(g.ignore === undefined ? {} : { ignore: g.ignore }),
    ...(g.maxConcurrentServices === undefined ? {} : { maxConcurrentServices: g.maxConcurrentServices }),
  };
}

/** An issue when the data map is larger than a ConfigMap can hold (keys and values, UTF-8). */
function dataSizeIssue(data: Readonly<Record<string, string>>): ConfigIssue | undefined {
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      return { key, path: '', value, message: 'must be a string (ConfigMap data values are text)' };
    }
    bytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes <= MAX_DOCUMENT_BYTES) return undefined;
  return {
    key: 'data',
    path: '',
    value: bytes,
    message: `bytes in all, more than the ${describeBytes(MAX_DOCUMENT_BYTES)} a ConfigMap can hold`,
  };
}

/**
 * Parses `_profiles`: per profile, per catalog tier, a capacity with at least one rate. A profile that names
 * an unknown tier or gives a tier no rate is an issue of the whole document (profiles are shared).
 */
export function parseProfiles(
  raw: string,
  catalog: TierCatalog,
  issues: Issues,
): ReadonlyMap<string, SizingProfile> {
  const key = '_profiles';
  const profiles = new Map<string, SizingProfile>();
  const yaml = parseYaml(key, raw, issues);
  if (!yaml.ok || yaml.value === undefined || yaml.value === null) return profiles;
  const parsed = profilesSchema.safeParse(yaml.value);
  if (!parsed.success) {
    issues.push(
      ...zodIssuesToConfigIssues(key, [], yaml.value, parsed.error.issues, (path) =>
        path.length >= 2 ? TIER_CAPACITY_FIELDS : [],
      ),
    );
    return profiles;
  }
  for (const [name, tiers] of Object.entries(parsed.data)) {
    for (const [tier, capacity] of Object.entries(tiers)) {
      if (!catalog.has(tier)) {
        issues.push({
          key,
          path: formatPath([name, tier]),
          value: tier,
          message: 'unknown tier (not in the catalog)',
        });
      } else if (Object.keys(capacity).length === 0) {
        issues.push({
          key,
          path: formatPath([name, tier]),
          value: capacity,
          message: `must give at least one of ${TIER_CAPACITY_FIELDS.join(', ')}`,
        });
      }
    }
    profiles.set(name, { name, tiers });
  }
  return profiles;
}

/**
 * Validates a whole ConfigMap `data` map. Each invalid service block is skipped (its issues are listed in
 * `issues` and `config.issues`); an invalid `_global`, `_tiers` or environment makes the document unusable
 * (`config` undefined: the caller keeps its last good config).
 */
export function parseConfig(data: Readonly<Record<string, string>>, env: Environment = {}): ParsedConfig {
  const tooLarge = dataSizeIssue(data);
  if (tooLarge !== undefined) return { config: undefined, issues: [tooLarge] };
  const documentIssues: Issues = [];
  let global: GlobalSettings | undefined = globalFromEnvironment(env, documentIssues);
  const globalRaw = data['_global'];
  if (globalRaw !== undefined) global = applyGlobalKey(global, globalRaw, documentIssues);
  let catalog: TierCatalog = DEFAULT_CATALOG;
  const tiersRaw = data['_tiers'];
  if (tiersRaw !== undefined) {
    const yaml = parseYaml('_tiers', tiersRaw, documentIssues);
    if (yaml.ok) {
      const merged = mergeCatalog(DEFAULT_CATALOG, yaml.value);
      documentIssues.push(...merged.issues);
      catalog = merged.catalog;
    }
  }
  const profilesRaw = data['_profiles'];
  const profiles =
    profilesRaw === undefined
      ? new Map<string, SizingProfile>()
      : parseProfiles(profilesRaw, catalog, documentIssues);
  // No credential from `_global` or the URL may travel on in an issue (logs, Events, `validate`).
  if (documentIssues.length > 0 || global === undefined) {
    return { config: undefined, issues: documentIssues.map(redactConfigIssue) };
  }

  const serviceIssues: Issues = [];
  const services = new Map<string, ServiceConfig>();
  const reserved: readonly string[] = RESERVED_KEYS;
  for (const key of Object.keys(data).sort()) {
    if (reserved.includes(key)) continue;
    if (key.startsWith('_')) {
      serviceIssues.push({
        key,
        path: '',
        value: data[key],
        message: `unknown reserved key (reserved keys: ${RESERVED_KEYS.join(', ')})`,
      });
      continue;
    }
    const service = parseServiceBlock(key, data[key] ?? '', catalog, global, serviceIssues, profiles);
    if (service !== undefined) services.set(key, service);
  }
  const shownIssues = serviceIssues.map(redactConfigIssue);
  return { config: { global, catalog, services, issues: shownIssues }, issues: shownIssues };
}
