import { z } from 'zod';
import { seededRandom } from '../service-model/index.js';

/** Request sizes of generated load (trace profiles take sizes from the trace instead). */
export interface RequestShape {
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** Offered load of one service, requests per second, over time since the profile was set. */
export type LoadProfile =
  | ({ readonly kind: 'constant'; readonly requestsPerSecond: number } & RequestShape)
  | ({
      readonly kind: 'ramp';
      readonly fromRequestsPerSecond: number;
      readonly toRequestsPerSecond: number;
      readonly durationSeconds: number;
    } & RequestShape)
  | ({
      readonly kind: 'step';
      /** `requestsPerSecond` from `afterSeconds` on; sorted by afterSeconds; before the first: 0. */
      readonly steps: ReadonlyArray<{ readonly afterSeconds: number; readonly requestsPerSecond: number }>;
    } & RequestShape)
  | {
      readonly kind: 'trace';
      /** A trace file (Azure CSV or Mooncake JSONL), e.g. /work/shared/traces/azure-llm-2023-conv.csv. */
      readonly file: string;
      /** Replay speed: 10 plays ten trace seconds per second. */
      readonly timeScale: number;
      /** Multiply the trace's arrival rate (keep each request with this probability when < 1, duplicate when > 1). */
      readonly rateScale: number;
      /** Start over at the end. */
      readonly loop: boolean;
    };

const rps = z.number().finite().nonnegative();
const shape = {
  promptTokens: z.number().int().positive().default(512),
  outputTokens: z.number().int().positive().default(128),
};

const profileSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), requestsPerSecond: rps, ...shape }),
  z.strictObject({
    kind: z.literal('ramp'),
    fromRequestsPerSecond: rps,
    toRequestsPerSecond: rps,
    durationSeconds: z.number().finite().positive(),
    ...shape,
  }),
  z.strictObject({
    kind: z.literal('step'),
    steps: z
      .array(z.strictObject({ afterSeconds: z.number().finite().nonnegative(), requestsPerSecond: rps }))
      .min(1),
    ...shape,
  }),
  z.strictObject({
    kind: z.literal('trace'),
    file: z.string().min(1),
    timeScale: z.number().finite().positive().default(1),
    rateScale: z.number().finite().positive().default(1),
    loop: z.boolean().default(true),
  }),
]);

/** A parsed profile or the problems, each naming the field and its value. */
export type LoadProfileParseResult =
  | { readonly ok: true; readonly profile: LoadProfile }
  | { readonly ok: false; readonly reason: 'invalidLoadProfile'; readonly message: string };

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Validates a load profile document (the body of `PUT /load/{namespace}/{service}`). */
export function parseLoadProfile(data: unknown): LoadProfileParseResult {
  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => {
        const path = issue.path.map(String).join('.');
        return `load.${path || '(root)'} = ${JSON.stringify(valueAt(data, issue.path))}: ${issue.message}`;
      })
      .join('; ');
    return { ok: false, reason: 'invalidLoadProfile', message };
  }
  const profile = parsed.data;
  if (profile.kind === 'step') {
    const sorted = [...profile.steps].sort((a, b) => a.afterSeconds - b.afterSeconds);
    return { ok: true, profile: { ...profile, steps: sorted } };
  }
  return { ok: true, profile };
}

/** Offered rate (req/s) `elapsedSeconds` after the profile was set; trace profiles return undefined. */
export function rateAt(profile: LoadProfile, elapsedSeconds: number): number | undefined {
  switch (profile.kind) {
    case 'constant':
      return profile.requestsPerSecond;
    case 'ramp': {
      const f = Math.min(1, Math.max(0, elapsedSeconds / profile.durationSeconds));
      return (
        profile.fromRequestsPerSecond + (profile.toRequestsPerSecond - profile.fromRequestsPerSecond) * f
      );
    }
    case 'step': {
      let rate = 0;
      for (const s of profile.steps) if (s.afterSeconds <= elapsedSeconds) rate = s.requestsPerSecond;
      return rate;
    }
    case 'trace':
      return undefined;
  }
}

/** A Poisson-distributed count with mean `mean` (Knuth for small means, normal approximation above 50). */
export function poissonCount(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

/**
 * Arrival times (ms) of a Poisson process at `requestsPerSecond` in [fromMs, toMs), rate held constant
 * over the interval (the caller uses short intervals), sorted.
 */
export function poissonArrivals(
  requestsPerSecond: number,
  fromMs: number,
  toMs: number,
  random: () => number,
): number[] {
  const count = poissonCount((requestsPerSecond * (toMs - fromMs)) / 1000, random);
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) times.push(fromMs + random() * (toMs - fromMs));
  return times.sort((a, b) => a - b);
}

/** Sizes varied ±50% around the profile's means, so batches are not all alike. */
export function jitteredShape(shape: RequestShape, random: () => number): RequestShape {
  const vary = (n: number): number => Math.max(1, Math.round(n * (0.5 + random())));
  return { promptTokens: vary(shape.promptTokens), outputTokens: vary(shape.outputTokens) };
}

export { seededRandom };
