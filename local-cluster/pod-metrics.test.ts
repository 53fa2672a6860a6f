import { VLLM_TPOT_BUCKETS_S, type CompletedRequest } from '../service-model/index.js';
import { PodMetrics } from './pod-metrics.js';

const identity = {
  namespace: 'llm',
  pod: 'chat-00001-deployment-abc',
  node: 'kwok-h100-0',
  modelName: 'llama',
  gpuModel: 'H100-80GB',
  container: 'user-container',
};

const served = (id: number, outputTokens: number, tpotMs: number): CompletedRequest => ({
  outcome: 'served',
  request: { id, arrivalMs: 0, promptTokens: 100, outputTokens },
  ttftMs: 300,
  tpotMs,
  queueMs: 5,
  finishMs: 300 + tpotMs * (outputTokens - 1),
});

async function tpotSeries(metrics: PodMetrics): Promise<Map<string, number>> {
  const text = await metrics.registry.metrics();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^vllm:time_per_output_token_seconds_(bucket|count)\{(?:.*le="([^"]+)")?.*\} (\S+)$/.exec(line);
    if (m !== null) out.set(m[1] === 'count' ? 'count' : (m[2] as string), Number(m[3]));
  }
  return out;
}

describe('PodMetrics', () => {
  it("exports vLLM's time-per-output-token buckets", async () => {
    const series = await tpotSeries(new PodMetrics(identity));
    const bounds = [...series.keys()].filter((k) => k !== 'count' && k !== '+Inf').map(Number);
    expect(bounds).toEqual(VLLM_TPOT_BUCKETS_S);
  });

  it('observes a time per output token only for answers of more than one token, as vLLM does', async () => {
    const metrics = new PodMetrics(identity);
    metrics.observe([served(1, 1, 0), served(2, 50, 40), served(3, 20, 120)]);
    const series = await tpotSeries(metrics);
    expect(series.get('count')).toBe(2);
    expect(series.get('0.05')).toBe(1);
    expect(series.get('0.1')).toBe(1);
    expect(series.get('0.15')).toBe(2);
  });
});
