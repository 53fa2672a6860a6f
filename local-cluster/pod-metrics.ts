import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  VLLM_TPOT_BUCKETS_S,
  VLLM_TTFT_BUCKETS_S,
  type CompletedRequest,
  type ReplicaSnapshot,
} from '../service-model/index.js';

/** Who a pod is, for the labels real exporters put on their series. */
export interface PodIdentity {
  readonly namespace: string;
  readonly pod: string;
  readonly node: string;
  readonly modelName: string;
  readonly gpuModel: string;
  readonly container: string;
}

const E2E_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
// The same buckets as vLLM and as the simulator's Prometheus, so a p99 reads the same in both.
const TTFT_BUCKETS_S = [...VLLM_TTFT_BUCKETS_S];
const TPOT_BUCKETS_S = [...VLLM_TPOT_BUCKETS_S];

/**
 * The series one emulated inference pod exports, in the shapes real servers use: vLLM (`vllm:*`),
 * TGI (`tgi_*`), DCGM (`DCGM_FI_*`, with pod/namespace labels like dcgm-exporter's pod mapping) and a
 * generic `inference_*`. One prom-client registry per pod; counters and histograms only grow.
 */
export class PodMetrics {
  readonly registry = new Registry();
  private readonly vllmLabels: { model_name: string };
  private readonly dcgmLabels: Record<string, string>;
  private readonly e2e: Histogram<'model_name'>;
  private readonly ttft: Histogram<'model_name'>;
  private readonly tpot: Histogram<'model_name'>;
  private readonly queueTime: Histogram<'model_name'>;
  private readonly success: Counter<'model_name' | 'finished_reason'>;
  private readonly failure: Counter<'model_name' | 'reason'>;
  private readonly promptTokens: Counter<'model_name'>;
  private readonly generationTokens: Counter<'model_name'>;
  private readonly waiting: Gauge<'model_name'>;
  private readonly running: Gauge<'model_name'>;
  private readonly kvUsage: Gauge<'model_name'>;
  private readonly tgiTimePerToken: Histogram;
  private readonly tgiQueue: Gauge;
  private readonly tgiDuration: Histogram;
  private readonly gpuUtil: Gauge<string>;
  private readonly fbUsed: Gauge<string>;
  private readonly fbFree: Gauge<string>;
  private readonly genericDuration: Histogram;
  private readonly genericQueue: Gauge;

  constructor(readonly identity: PodIdentity) {
    const r = [this.registry];
    this.vllmLabels = { model_name: identity.modelName };
    this.dcgmLabels = {
      gpu: '0',
      UUID: `GPU-emulated-${identity.namespace}-${identity.pod}`,
      modelName: `NVIDIA ${identity.gpuModel}`,
      Hostname: identity.node,
      namespace: identity.namespace,
      pod: identity.pod,
      container: identity.container,
    };
    const m = ['model_name'] as const;
    this.e2e = new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'End-to-end request latency, s.',
      labelNames: m,
      buckets: E2E_BUCKETS_S,
      registers: r,
    });
    this.ttft = new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Time to first token, s.',
      labelNames: m,
      buckets: TTFT_BUCKETS_S,
      registers: r,
    });
    this.tpot = new Histogram({
      name: 'vllm:time_per_output_token_seconds',
      help: 'Time per output token, s (one observation per request: its mean inter-token time).',
      labelNames: m,
      buckets: TPOT_BUCKETS_S,
      registers: r,
    });
    this.queueTime = new Histogram({
      name: 'vllm:request_queue_time_seconds',
      help: 'Time in the waiting queue before the first prompt chunk is scheduled, s.',
      labelNames: m,
      buckets: TTFT_BUCKETS_S,
      registers: r,
    });
    this.success = new Counter({
      name: 'vllm:request_success_total',
      help: 'Finished requests.',
      labelNames: ['model_name', 'finished_reason'],
      registers: r,
    });
    this.failure = new Counter({
      name: 'vllm:request_failure_total',
      help: 'Rejected requests (emulator).',
      labelNames: ['model_name', 'reason'],
      registers: r,
    });
    this.promptTokens = new Counter({
      name: 'vllm:prompt_tokens_total',
      help: 'Prefilled tokens.',
      labelNames: m,
      registers: r,
    });
    this.generationTokens = new Counter({
      name: 'vllm:generation_tokens_total',
      help: 'Generated tokens.',
      labelNames: m,
      registers: r,
    });
    this.waiting = new Gauge({
      name: 'vllm:num_requests_waiting',
      help: 'Requests waiting.',
      labelNames: m,
      registers: r,
    });
    this.running = new Gauge({
      name: 'vllm:num_requests_running',
      help: 'Requests running.',
      labelNames: m,
      registers: r,
    });
    this.kvUsage = new Gauge({
      name: 'vllm:gpu_cache_usage_perc',
      help: 'KV-cache usage, 0..1.',
      labelNames: m,
      registers: r,
    });
    this.tgiTimePerToken = new Histogram({
      name: 'tgi_request_mean_time_per_token_duration',
      help: 'Mean time per token per request, s.',
      buckets: TPOT_BUCKETS_S,
      registers: r,
    });
    this.tgiDuration = new Histogram({
      name: 'tgi_request_duration',
      help: 'Request duration, s.',
      buckets: E2E_BUCKETS_S,
      registers: r,
    });
    this.tgiQueue = new Gauge({ name: 'tgi_queue_size', help: 'Requests waiting.', registers: r });
    const d = Object.keys(this.dcgmLabels);
    this.gpuUtil = new Gauge({
      name: 'DCGM_FI_DEV_GPU_UTIL',
      help: 'GPU utilization (in %).',
      labelNames: d,
      registers: r,
    });
    this.fbUsed = new Gauge({
      name: 'DCGM_FI_DEV_FB_USED',
      help: 'Framebuffer memory used (in MiB).',
      labelNames: d,
      registers: r,
    });
    this.fbFree = new Gauge({
      name: 'DCGM_FI_DEV_FB_FREE',
      help: 'Framebuffer memory free (in MiB).',
      labelNames: d,
      registers: r,
    });
    this.genericDuration = new Histogram({
      name: 'inference_request_duration_seconds',
      help: 'Request duration, s.',
      buckets: E2E_BUCKETS_S,
      registers: r,
    });
    this.genericQueue = new Gauge({
      name: 'inference_request_queue_depth',
      help: 'Requests waiting.',
      registers: r,
    });
    // Zero-valued series from the first scrape on, as real servers export them.
    this.success.inc({ ...this.vllmLabels, finished_reason: 'stop' }, 0);
    for (const h of [this.e2e, this.ttft, this.tpot, this.queueTime]) h.zero(this.vllmLabels);
    this.promptTokens.inc(this.vllmLabels, 0);
    this.generationTokens.inc(this.vllmLabels, 0);
    this.update({ queueLength: 0, runningRequests: 0, kvUsage: 0 } as ReplicaSnapshot, 0, 0, 0);
  }

  /** Records finished and rejected requests. */
  observe(completed: readonly CompletedRequest[]): void {
    for (const c of completed) {
      if (c.outcome === 'rejected') {
        this.failure.inc({ ...this.vllmLabels, reason: c.reason });
        continue;
      }
      const e2eS = (c.finishMs - c.request.arrivalMs) / 1000;
      this.e2e.observe(this.vllmLabels, e2eS);
      this.ttft.observe(this.vllmLabels, c.ttftMs / 1000);
      this.queueTime.observe(this.vllmLabels, c.queueMs / 1000);
      this.success.inc({ ...this.vllmLabels, finished_reason: 'stop' });
      this.promptTokens.inc(this.vllmLabels, c.request.promptTokens);
      this.generationTokens.inc(this.vllmLabels, c.request.outputTokens);
      // A one-token request has no time between tokens: vLLM observes nothing for it, nor does the
      // simulator's TPOT series (simulator/observations.ts), so both read the same p99.
      if (c.request.outputTokens > 1) this.tpot.observe(this.vllmLabels, c.tpotMs / 1000);
      this.tgiTimePerToken.observe(e2eS / Math.max(1, c.request.outputTokens));
      this.tgiDuration.observe(e2eS);
      this.genericDuration.observe(e2eS);
    }
  }

  /** Sets the gauges from the replica's state; utilisation in %, framebuffer used and free in MiB. */
  update(
    snapshot: ReplicaSnapshot,
    gpuUtilPercent: number,
    framebufferUsedMiB: number,
    framebufferFreeMiB: number,
  ): void {
    this.waiting.set(this.vllmLabels, snapshot.queueLength);
    this.running.set(this.vllmLabels, snapshot.runningRequests);
    this.kvUsage.set(this.vllmLabels, snapshot.kvUsage);
    this.tgiQueue.set(snapshot.queueLength);
    this.genericQueue.set(snapshot.queueLength);
    this.gpuUtil.set(this.dcgmLabels, gpuUtilPercent);
    this.fbUsed.set(this.dcgmLabels, framebufferUsedMiB);
    this.fbFree.set(this.dcgmLabels, framebufferFreeMiB);
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
