import { z } from 'zod';
import type { PersistedServiceState } from '../autoscaler/index.js';
import { MIGRATION_PHASES, type MigrationRecord } from './types.js';

const stringMap = z.record(z.string(), z.string());

const migrationRecordSchema = z.object({
  fromRevision: z.string().min(1),
  toRevision: z.string().min(1),
  fromTier: z.string().optional(),
  toTier: z.string().min(1),
  phase: z.enum(MIGRATION_PHASES),
  stepIndex: z.number().int().min(0),
  startedAtMs: z.number(),
  phaseSinceMs: z.number(),
  deadlineMs: z.number(),
  trafficSteps: z.array(z.number()).min(1),
  stepPauseSeconds: z.number().min(0),
  drainSeconds: z.number().min(0),
  tierBackoffSeconds: z.number().min(0),
  toReplicas: z.number().int().positive().optional(),
  restoreLatestRevision: z.boolean(),
  fromTemplateMetadata: z.object({
    name: z.string().optional(),
    annotations: stringMap.optional(),
    labels: stringMap.optional(),
  }),
  rollbackReason: z.string().optional(),
  rollbackMessage: z.string().optional(),
});

/** The outcome of reading an annotation: absent, a valid value, or a clear error naming the value. */
export type AnnotationRead<T> =
  | { readonly ok: true; readonly value: T | undefined }
  | { readonly ok: false; readonly reason: 'invalidAnnotation'; readonly message: string };

function readJson<T>(annotation: string, raw: string | undefined, schema: z.ZodType<T>): AnnotationRead<T> {
  if (raw === undefined || raw === '') return { ok: true, value: undefined };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      reason: 'invalidAnnotation',
      message: `${annotation} = ${raw}: not JSON (${String(error)})`,
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return {
      ok: false,
      reason: 'invalidAnnotation',
      message: `${annotation}.${path} = ${raw.slice(0, 200)}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, value: parsed.data };
}

/** Parses the migration annotation of a Service. */
export function readMigrationRecord(raw: string | undefined): AnnotationRead<MigrationRecord> {
  return readJson('autoscaler.k-siss.io/migration', raw, migrationRecordSchema as z.ZodType<MigrationRecord>);
}

export function writeMigrationRecord(record: MigrationRecord): string {
  return JSON.stringify(record);
}

const recommendationSchema = z.object({
  atMs: z.number(),
  tier: z.string(),
  replicas: z.number(),
  idle: z.boolean().optional(),
});
const persistedStateSchema = z.object({
  recommendations: z.array(recommendationSchema).default([]),
  lastActionAtMs: z.number().optional(),
  lastAction: z.enum(['up', 'down', 'out', 'in']).optional(),
  tierBackoffUntilMs: z.record(z.string(), z.number()).optional(),
  capacityFactors: z.record(z.string(), z.number().positive()).optional(),
  pendingTarget: z.object({ tier: z.string(), replicas: z.number(), sinceMs: z.number() }).optional(),
  lastReadyAtMs: z.number().optional(),
});

/** Parses the persisted-state annotation; an unreadable one yields an empty state and the error. */
export function readPersistedState(raw: string | undefined): {
  readonly state: PersistedServiceState;
  readonly error?: string;
} {
  const read = readJson(
    'autoscaler.k-siss.io/state',
    raw,
    persistedStateSchema as z.ZodType<PersistedServiceState>,
  );
  if (!read.ok) return { state: { recommendations: [] }, error: read.message };
  return { state: read.value ?? { recommendations: [] } };
}

export function writePersistedState(state: PersistedServiceState): string {
  return JSON.stringify(state);
}

/** The state with `tier` marked unavailable until `untilMs`; expired backoffs are dropped. */
export function withTierBackoff(
  state: PersistedServiceState,
  tier: string,
  untilMs: number,
  nowMs: number,
): PersistedServiceState {
  const backoff: Record<string, number> = {};
  for (const [name, until] of Object.entries(state.tierBackoffUntilMs ?? {}))
    if (until > nowMs) backoff[name] = until;
  backoff[tier] = Math.max(untilMs, backoff[tier] ?? 0);
  return { ...state, tierBackoffUntilMs: backoff };
}
