import { seededRandom, type InferenceRequest } from '../service-model/index.js';
import type { Trace } from './trace.js';

/** How a run starts: right-sized for the first window (`warm`), or at its minimum after a quiet spell (`cold`). */
export const START_MODES = ['warm', 'cold'] as const;
export type StartMode = (typeof START_MODES)[number];

/**
 * The light load before a cold run's trace, as after a quiet night: five minutes of Poisson arrivals at
 * 0.2 req/s of 200-token prompts with 20-token answers. The service starts at its minimum provision.
 */
export const LIGHT_PREFIX = {
  durationMs: 300_000,
  ratePerS: 0.2,
  promptTokens: 200,
  outputTokens: 20,
} as const;

/**
 * The trace a cold run replays: the light prefix (seeded), then the trace shifted by the prefix's length.
 * The trace's own requests keep their ids; the prefix's come after the largest of them. Every request is
 * scored, the prefix's too.
 */
export function coldStartTrace(trace: Trace, seed: number): Trace {
  const random = seededRandom(seed);
  const firstId = trace.requests.reduce((max, r) => Math.max(max, r.id), -1) + 1;
  const prefix: InferenceRequest[] = [];
  for (let tS = 0; ;) {
    tS += -Math.log(Math.max(random(), Number.EPSILON)) / LIGHT_PREFIX.ratePerS;
    const arrivalMs = Math.round(tS * 1000);
    if (arrivalMs >= LIGHT_PREFIX.durationMs) break;
    prefix.push({
      id: firstId + prefix.length,
      arrivalMs,
      promptTokens: LIGHT_PREFIX.promptTokens,
      outputTokens: LIGHT_PREFIX.outputTokens,
    });
  }
  const shifted = trace.requests.map((r) => ({ ...r, arrivalMs: r.arrivalMs + LIGHT_PREFIX.durationMs }));
  return {
    ...trace,
    requests: [...prefix, ...shifted],
    durationMs: trace.durationMs + LIGHT_PREFIX.durationMs,
  };
}
