import { seededRandom, type TraceFormat } from '../simulator/index.js';

/**
 * Held-out synthetic traces for the decision benchmark: seeded, generated at bench time in both public
 * formats, with rates, sizes and burstiness unlike the two real traces, so that the k-siss defaults are
 * shown on workloads they were not chosen on. Pure: a spec and its seed give the same text every time.
 */

/** How the arrival rate (requests per second) changes over the trace. */
export type RateShape =
  /** One day-like cycle: from `lowPerS` up to `highPerS` at the middle of the trace and back. */
  | { readonly kind: 'diurnal'; readonly lowPerS: number; readonly highPerS: number }
  /** Bursts of `onS` seconds at `highPerS`, then `offS` seconds at `lowPerS`, repeated. */
  | {
      readonly kind: 'onOff';
      readonly highPerS: number;
      readonly lowPerS: number;
      readonly onS: number;
      readonly offS: number;
    }
  /** Piecewise constant: `perS` until `untilS`, then the next step. */
  | { readonly kind: 'steps'; readonly steps: readonly { readonly untilS: number; readonly perS: number }[] };

/** A log-normal token count: median and the sigma of its logarithm, clamped to `[1, maxTokens]`. */
export interface TokenDistribution {
  readonly median: number;
  readonly sigma: number;
  readonly maxTokens: number;
}

/** One synthetic trace. */
export interface SyntheticTraceSpec {
  readonly name: string;
  readonly format: TraceFormat;
  readonly durationS: number;
  readonly rate: RateShape;
  readonly promptTokens: TokenDistribution;
  readonly outputTokens: TokenDistribution;
  readonly seed: number;
}

/** One generated request: arrival in ms from the start and its token counts. */
export interface SyntheticRequest {
  readonly atMs: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** The arrival rate at `tS` seconds into the trace. */
export function rateAt(spec: SyntheticTraceSpec, tS: number): number {
  const rate = spec.rate;
  switch (rate.kind) {
    case 'diurnal': {
      const phase = Math.sin((Math.PI * tS) / spec.durationS);
      return rate.lowPerS + (rate.highPerS - rate.lowPerS) * phase * phase;
    }
    case 'onOff':
      return tS % (rate.onS + rate.offS) < rate.onS ? rate.highPerS : rate.lowPerS;
    case 'steps':
      return (rate.steps.find((s) => tS < s.untilS) ?? rate.steps[rate.steps.length - 1])?.perS ?? 0;
  }
}

function peakRate(spec: SyntheticTraceSpec): number {
  const rate = spec.rate;
  switch (rate.kind) {
    case 'diurnal':
      return Math.max(rate.lowPerS, rate.highPerS);
    case 'onOff':
      return Math.max(rate.lowPerS, rate.highPerS);
    case 'steps':
      return Math.max(0, ...rate.steps.map((s) => s.perS));
  }
}

/** A standard normal draw (Box-Muller) from a uniform generator. */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function tokens(d: TokenDistribution, random: () => number): number {
  const value = Math.round(d.median * Math.exp(d.sigma * normal(random)));
  return Math.min(d.maxTokens, Math.max(1, value));
}

/**
 * The requests of a spec: a non-homogeneous Poisson process (thinning against the peak rate) with
 * log-normal prompt and output lengths, all from the spec's seed.
 */
export function syntheticRequests(spec: SyntheticTraceSpec): SyntheticRequest[] {
  const random = seededRandom(spec.seed);
  const peak = peakRate(spec);
  const out: SyntheticRequest[] = [];
  if (peak <= 0) return out;
  let tS = 0;
  for (;;) {
    tS += -Math.log(Math.max(random(), Number.EPSILON)) / peak;
    if (tS >= spec.durationS) break;
    if (random() * peak > rateAt(spec, tS)) continue;
    out.push({
      atMs: Math.round(tS * 1000),
      promptTokens: tokens(spec.promptTokens, random),
      outputTokens: tokens(spec.outputTokens, random),
    });
  }
  return out;
}

const AZURE_START_MS = Date.UTC(2024, 4, 14, 9, 0, 0);

/** `2024-05-14 09:00:01.2340000`, the Azure trace's wall-clock format (UTC, 7 fraction digits). */
function azureTimestamp(offsetMs: number): string {
  const iso = new Date(AZURE_START_MS + offsetMs).toISOString(); // 2024-05-14T09:00:01.234Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}0000`;
}

/** The trace file's text in the spec's format (Azure CSV or Mooncake JSONL). */
export function syntheticTraceText(spec: SyntheticTraceSpec): string {
  const requests = syntheticRequests(spec);
  if (spec.format === 'azure-csv') {
    const rows = requests.map((r) => `${azureTimestamp(r.atMs)},${r.promptTokens},${r.outputTokens}`);
    return ['TIMESTAMP,ContextTokens,GeneratedTokens', ...rows].join('\n') + '\n';
  }
  return (
    requests
      .map((r) =>
        JSON.stringify({ timestamp: r.atMs, input_length: r.promptTokens, output_length: r.outputTokens }),
      )
      .join('\n') + '\n'
  );
}

/** The file name a spec is written to (the simulator names a trace after its file). */
export function syntheticFileName(spec: SyntheticTraceSpec): string {
  return `${spec.name}.${spec.format === 'azure-csv' ? 'csv' : 'jsonl'}`;
}

/**
 * The held-out set: chosen to differ from the real traces (Azure conversation: 3-8 req/s, ~1k-token
 * prompts; Mooncake: ~4 req/s, ~12k-token prompts), not to flatter k-siss. Sizes keep the whole bench
 * within its time budget.
 */
/** The request sizes of the two multi-GPU traces: chat with 1,000-token prompts and 200-token answers. */
const BUSY_CHAT = {
  promptTokens: { median: 1_000, sigma: 0.8, maxTokens: 16_000 },
  outputTokens: { median: 200, sigma: 0.7, maxTokens: 2_000 },
} as const;

export const HELD_OUT_TRACES: readonly SyntheticTraceSpec[] = [
  {
    // A slow day-like ramp from 1 to 12 req/s and back: tests stepping up and, above all, back down.
    name: 'held-out-diurnal-azure',
    format: 'azure-csv',
    durationS: 40 * 60,
    rate: { kind: 'diurnal', lowPerS: 1, highPerS: 12 },
    promptTokens: { median: 800, sigma: 0.9, maxTokens: 16_000 },
    outputTokens: { median: 180, sigma: 0.8, maxTokens: 2_000 },
    seed: 11,
  },
  {
    // On/off bursts (3 min at 20 req/s, 4 min at 2 req/s) of chat requests: tests flapping.
    name: 'held-out-bursty-azure',
    format: 'azure-csv',
    durationS: 35 * 60,
    rate: { kind: 'onOff', highPerS: 20, lowPerS: 2, onS: 180, offS: 240 },
    promptTokens: { median: 400, sigma: 0.7, maxTokens: 8_000 },
    outputTokens: { median: 250, sigma: 0.7, maxTokens: 2_000 },
    seed: 12,
  },
  {
    // Long prompts, short answers (summarisation / RAG) at a low, stepping rate: prefill-bound.
    name: 'held-out-long-prompts-mooncake',
    format: 'mooncake-jsonl',
    durationS: 25 * 60,
    rate: {
      kind: 'steps',
      steps: [
        { untilS: 8 * 60, perS: 0.5 },
        { untilS: 16 * 60, perS: 1.5 },
        { untilS: 25 * 60, perS: 0.8 },
      ],
    },
    promptTokens: { median: 6_000, sigma: 0.6, maxTokens: 60_000 },
    outputTokens: { median: 60, sigma: 0.8, maxTokens: 1_000 },
    seed: 13,
  },
  {
    // A sudden step from 2 to 7 req/s of medium prompts with long answers, then a drop: decode-bound.
    name: 'held-out-step-mooncake',
    format: 'mooncake-jsonl',
    durationS: 30 * 60,
    rate: {
      kind: 'steps',
      steps: [
        { untilS: 10 * 60, perS: 2 },
        { untilS: 20 * 60, perS: 7 },
        { untilS: 30 * 60, perS: 1.5 },
      ],
    },
    promptTokens: { median: 1_500, sigma: 0.8, maxTokens: 32_000 },
    outputTokens: { median: 350, sigma: 0.6, maxTokens: 4_000 },
    seed: 14,
  },
  {
    // A busy service across several whole GPUs: one cycle 20 -> 60 -> 20 req/s of chat requests. Tests
    // scaling out and in beyond one GPU, where the replica-only baselines have to act too.
    name: 'held-out-heavy-diurnal-azure',
    format: 'azure-csv',
    durationS: 40 * 60,
    rate: { kind: 'diurnal', lowPerS: 20, highPerS: 60 },
    ...BUSY_CHAT,
    seed: 15,
  },
  {
    // A steep ramp: 5 -> 60 -> 5 req/s in 30 minutes (12x in a quarter of an hour, as after a launch).
    // Tests how fast a policy adds capacity when one step at a time is not enough.
    name: 'held-out-steep-ramp-azure',
    format: 'azure-csv',
    durationS: 30 * 60,
    rate: { kind: 'diurnal', lowPerS: 5, highPerS: 60 },
    ...BUSY_CHAT,
    seed: 16,
  },
];
