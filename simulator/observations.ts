/**
 * Simulated Prometheus: what the controller's queries would return. Served requests are recorded at
 * their finish time; a query at `nowMs` sees the last scrape at or before it, and `[1m]` windows cover
 * the minute before that scrape. Quantiles go through histogram buckets and linear interpolation, as
 * `histogram_quantile` does; an empty window gives NaN (0/0), as PromQL does.
 */
import { mapArrivalCounts, type ArrivalCounts } from '../autoscaler/index.js';
import { VLLM_TPOT_BUCKETS_S, VLLM_TTFT_BUCKETS_S } from '../service-model/index.js';

/** vLLM's `time_per_output_token_seconds` buckets (shared with the emulated pods). */
export const TPOT_BUCKETS_S = VLLM_TPOT_BUCKETS_S;
/** vLLM's `time_to_first_token_seconds` buckets (also used for queue time; shared with the emulated pods). */
export const TTFT_BUCKETS_S = VLLM_TTFT_BUCKETS_S;

/** `histogram_quantile(q, ...)` over `values` bucketed by `bounds` (upper bounds, +Inf implied). */
export function histogramQuantile(q: number, values: readonly number[], bounds: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i += 1;
    counts[i] = (counts[i] as number) + 1;
  }
  const rank = q * values.length;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const c = counts[i] as number;
    if (cumulative + c >= rank && c > 0) {
      if (i === bounds.length) return bounds[bounds.length - 1] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - cumulative)) / c;
    }
    cumulative += c;
  }
  return bounds[bounds.length - 1] as number;
}

const MINUTE_MS = 60_000;

/** The series a simulated controller can query, by metric name (values in Prometheus units: seconds, 0..1). */
export const SIMULATED_SERIES = {
  tpot_p99_seconds: 'p99 of per-request mean time per output token over 1m',
  tpot_avg_seconds: 'mean time per output token over 1m (the original K-SISS TGI query)',
  ttft_p99_seconds: 'p99 time to first token over 1m',
  ttft_avg_seconds: 'mean time to first token over 1m',
  queue_time_p99_seconds: 'p99 time waiting before the first prompt chunk over 1m',
  queue_time_avg_seconds: 'mean time waiting before the first prompt chunk over 1m',
  queue_length: 'requests waiting (not yet scheduled), summed over replicas, at the scrape',
  queue_length_per_replica: 'requests waiting per ready replica, at the scrape',
  kv_cache_usage: 'KV-cache usage, mean over ready replicas, 0..1, at the scrape',
  concurrency_per_replica: 'requests in flight per ready replica, at the scrape',
  gpu_utilization: 'share of time the replicas were in an engine iteration over 1m, 0..1',
  request_rate: 'arrivals per second over 1m',
} as const;
export type SimulatedSeriesName = keyof typeof SIMULATED_SERIES;

/** One scrape's view: a value per simulated series (NaN when a window was empty). */
export type ObservedMetrics = Readonly<Record<SimulatedSeriesName, number>>;

/** Gauges read from the replicas at a scrape. */
export interface GaugeSample {
  readonly atMs: number;
  readonly queueLength: number;
  readonly inFlight: number;
  readonly readyReplicas: number;
  readonly kvUsageMean: number;
  /** Sum over all pods ever of busy ms (monotonic counter). */
  readonly busyMsTotal: number;
  /** Sum over pods alive of pod-ms (monotonic counter), for utilisation. */
  readonly podMsTotal: number;
}

interface Finished {
  readonly finishMs: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly ttftS: number;
  readonly tpotS: number;
  readonly queueS: number;
  readonly multiToken: boolean;
}

/** Records served requests, arrivals and gauges; answers windowed queries like Prometheus would. */
export class ObservationStore {
  private readonly finished: Finished[] = [];
  private readonly arrivals: number[] = [];
  private readonly gauges: GaugeSample[] = [];

  constructor(
    readonly scrapeIntervalMs: number,
    readonly windowMs = 60_000,
  ) {}

  recordArrival(atMs: number): void {
    this.arrivals.push(atMs);
  }

  recordServed(
    finishMs: number,
    ttftMs: number,
    tpotMs: number,
    queueMs: number,
    outputTokens: number,
    promptTokens = 0,
  ): void {
    const entry = {
      finishMs,
      promptTokens,
      outputTokens,
      ttftS: ttftMs / 1000,
      tpotS: tpotMs / 1000,
      queueS: queueMs / 1000,
      multiToken: outputTokens > 1,
    };
    // Completions come nearly in order (replicas overrun a step by one iteration): insertion from the end.
    let i = this.finished.length;
    while (i > 0 && (this.finished[i - 1] as Finished).finishMs > finishMs) i -= 1;
    if (i === this.finished.length) this.finished.push(entry);
    else this.finished.splice(i, 0, entry);
  }

  recordGauges(sample: GaugeSample): void {
    this.gauges.push(sample);
  }

  /** The time of the last scrape at or before `nowMs`. */
  lastScrapeMs(nowMs: number): number {
    return Math.floor(nowMs / this.scrapeIntervalMs) * this.scrapeIntervalMs;
  }

  /** What every simulated series returns when queried at `nowMs`. */
  query(nowMs: number): ObservedMetrics {
    const at = this.lastScrapeMs(nowMs);
    const from = at - this.windowMs;
    const lo = lowerBound(this.finished, from);
    const hi = lowerBound(this.finished, at + 1e-9);
    const window = this.finished.slice(lo, hi);
    const tpot = window.filter((f) => f.multiToken).map((f) => f.tpotS);
    const ttft = window.map((f) => f.ttftS);
    const queue = window.map((f) => f.queueS);
    const gauge = this.gaugeAt(at);
    const gaugeBefore = this.gaugeAt(from);
    const arrivals = countBetween(this.arrivals, from, at);
    const podMs =
      gauge !== undefined && gaugeBefore !== undefined ? gauge.podMsTotal - gaugeBefore.podMsTotal : 0;
    const ready = gauge?.readyReplicas ?? 0;
    return {
      tpot_p99_seconds: histogramQuantile(0.99, tpot, TPOT_BUCKETS_S),
      tpot_avg_seconds: mean(tpot),
      ttft_p99_seconds: histogramQuantile(0.99, ttft, TTFT_BUCKETS_S),
      ttft_avg_seconds: mean(ttft),
      queue_time_p99_seconds: histogramQuantile(0.99, queue, TTFT_BUCKETS_S),
      queue_time_avg_seconds: mean(queue),
      queue_length: gauge?.queueLength ?? Number.NaN,
      queue_length_per_replica: gauge === undefined || ready === 0 ? Number.NaN : gauge.queueLength / ready,
      kv_cache_usage: gauge?.kvUsageMean ?? Number.NaN,
      concurrency_per_replica: gauge === undefined || ready === 0 ? Number.NaN : gauge.inFlight / ready,
      gpu_utilization:
        gauge !== undefined && gaugeBefore !== undefined && podMs > 0
          ? Math.min(1, (gauge.busyMsTotal - gaugeBefore.busyMsTotal) / podMs)
          : Number.NaN,
      request_rate: arrivals / (this.windowMs / 1000),
    };
  }

  /**
   * `settings.loadGrowth`'s arrivals query evaluated at the last scrape and 1, 2 and 3 minutes before it
   * (`ARRIVAL_COUNTS`): the requests that arrived in each of those minutes, newest first. On a
   * real cluster the query covers the serving revision's pods (`{{podRegex}}`), whose series start at their
   * first scrapes after `servingSinceMs` (when the oldest of them became Ready). A minute that ends before
   * the second of those scrapes is no data, as `increase` needs two samples; so is one before the run. Only
   * whether the oldest count exists matters for a minute the pods saw in part (`sustainedGrowth`).
   */
  arrivalCounts(nowMs: number, servingSinceMs: number): ArrivalCounts {
    const at = this.lastScrapeMs(nowMs);
    const seenFromMs = Math.max(0, servingSinceMs + 2 * this.scrapeIntervalMs);
    return mapArrivalCounts(({ offsetSeconds }) => {
      const end = at - offsetSeconds * 1000;
      const start = end - MINUTE_MS;
      return end < seenFromMs || start < 0 ? undefined : countBetween(this.arrivals, start, end);
    });
  }

  /**
   * The sizing planner's counts (`settings.sizing`): requests arrived in the 30 s, and requests finished,
   * prompt tokens and output tokens in the minute before the last scrape, each counted when its request finished (vLLM counts tokens as it processes
   * them; over a minute the two agree but for the requests in flight). Undefined like `arrivalCounts`: the
   * serving revision's series need two scrapes.
   */
  sizingCounts(
    nowMs: number,
    servingSinceMs: number,
  ):
    | {
        readonly recentArrivals: number;
        readonly completions: number;
        readonly promptTokens: number;
        readonly outputTokens: number;
      }
    | undefined {
    const at = this.lastScrapeMs(nowMs);
    const seenFromMs = Math.max(0, servingSinceMs + 2 * this.scrapeIntervalMs);
    const from = at - MINUTE_MS;
    if (at < seenFromMs || from < 0) return undefined;
    const lo = lowerBound(this.finished, from);
    const hi = lowerBound(this.finished, at + 1e-9);
    let promptTokens = 0;
    let outputTokens = 0;
    for (let i = lo; i < hi; i += 1) {
      const f = this.finished[i] as Finished;
      promptTokens += f.promptTokens;
      outputTokens += f.outputTokens;
    }
    const recentArrivals = countBetween(this.arrivals, at - MINUTE_MS / 2, at);
    return { recentArrivals, completions: hi - lo, promptTokens, outputTokens };
  }

  /** Mean of `inFlight` over gauge samples in (fromMs, toMs] (KPA's windowed concurrency). */
  meanInFlight(fromMs: number, toMs: number): number {
    let sum = 0;
    let n = 0;
    for (let i = this.gauges.length - 1; i >= 0; i -= 1) {
      const g = this.gauges[i] as GaugeSample;
      if (g.atMs <= fromMs) break;
      if (g.atMs > toMs) continue;
      sum += g.inFlight;
      n += 1;
    }
    return n === 0 ? Number.NaN : sum / n;
  }

  private gaugeAt(atMs: number): GaugeSample | undefined {
    // Last gauge sample at or before atMs (samples are appended in time order).
    let lo = 0;
    let hi = this.gauges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.gauges[mid] as GaugeSample).atMs <= atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : this.gauges[lo - 1];
  }
}

function lowerBound(list: readonly Finished[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as Finished).finishMs <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countBetween(sorted: readonly number[], from: number, to: number): number {
  const idx = (t: number): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return idx(to) - idx(from);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
