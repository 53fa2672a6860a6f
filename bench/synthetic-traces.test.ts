import { parseTrace } from '../simulator/index.js';
import {
  HELD_OUT_TRACES,
  rateAt,
  syntheticFileName,
  syntheticRequests,
  syntheticTraceText,
  type SyntheticTraceSpec,
} from './synthetic-traces.js';

const SMALL: SyntheticTraceSpec = {
  name: 'small',
  format: 'mooncake-jsonl',
  durationS: 600,
  rate: { kind: 'steps', steps: [{ untilS: 600, perS: 2 }] },
  promptTokens: { median: 1000, sigma: 0.5, maxTokens: 4000 },
  outputTokens: { median: 100, sigma: 0.5, maxTokens: 400 },
  seed: 7,
};

describe('rateAt', () => {
  const cases: readonly { name: string; spec: SyntheticTraceSpec; tS: number; perS: number }[] = [
    {
      name: 'diurnal: low at the start',
      spec: { ...SMALL, rate: { kind: 'diurnal', lowPerS: 1, highPerS: 9 } },
      tS: 0,
      perS: 1,
    },
    {
      name: 'diurnal: high in the middle',
      spec: { ...SMALL, rate: { kind: 'diurnal', lowPerS: 1, highPerS: 9 } },
      tS: 300,
      perS: 9,
    },
    {
      name: 'onOff: on',
      spec: { ...SMALL, rate: { kind: 'onOff', highPerS: 10, lowPerS: 1, onS: 60, offS: 120 } },
      tS: 200,
      perS: 10,
    },
    {
      name: 'onOff: off',
      spec: { ...SMALL, rate: { kind: 'onOff', highPerS: 10, lowPerS: 1, onS: 60, offS: 120 } },
      tS: 100,
      perS: 1,
    },
    {
      name: 'steps: second step',
      spec: {
        ...SMALL,
        rate: {
          kind: 'steps',
          steps: [
            { untilS: 100, perS: 1 },
            { untilS: 200, perS: 5 },
          ],
        },
      },
      tS: 150,
      perS: 5,
    },
    {
      name: 'steps: past the last step keeps its rate',
      spec: { ...SMALL, rate: { kind: 'steps', steps: [{ untilS: 100, perS: 3 }] } },
      tS: 500,
      perS: 3,
    },
  ];
  it.each(cases)('$name', ({ spec, tS, perS }) => {
    expect(rateAt(spec, tS)).toBeCloseTo(perS);
  });
});

describe('syntheticRequests', () => {
  it('is a function of the seed', () => {
    expect(syntheticRequests(SMALL)).toEqual(syntheticRequests(SMALL));
    expect(syntheticRequests({ ...SMALL, seed: 8 })).not.toEqual(syntheticRequests(SMALL));
  });

  it('follows the rate and clamps the token counts', () => {
    const requests = syntheticRequests(SMALL);
    // 2 req/s over 600 s: 1200 expected; Poisson noise is ~35.
    expect(requests.length).toBeGreaterThan(1100);
    expect(requests.length).toBeLessThan(1300);
    expect(requests.every((r) => r.promptTokens >= 1 && r.promptTokens <= 4000)).toBe(true);
    expect(requests.every((r) => r.outputTokens >= 1 && r.outputTokens <= 400)).toBe(true);
    const sorted = requests.map((r) => r.promptTokens).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(900);
    expect(median).toBeLessThan(1100);
  });

  it('gives no requests at a zero rate', () => {
    expect(
      syntheticRequests({ ...SMALL, rate: { kind: 'steps', steps: [{ untilS: 600, perS: 0 }] } }),
    ).toEqual([]);
  });
});

describe('held-out traces', () => {
  it.each(HELD_OUT_TRACES.map((spec) => [spec.name, spec] as const))(
    '%s parses as its format with the generated requests',
    (_name, spec) => {
      const parsed = parseTrace(syntheticTraceText(spec), syntheticFileName(spec));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const requests = syntheticRequests(spec);
      expect(parsed.trace.format).toBe(spec.format);
      expect(parsed.trace.requests.length).toBe(requests.length);
      const first = requests[0];
      const last = requests[requests.length - 1];
      expect(parsed.trace.requests[0]).toMatchObject({
        promptTokens: first?.promptTokens,
        outputTokens: first?.outputTokens,
      });
      // Azure times are wall-clock from the first row; Mooncake's are ms from the start.
      const offsetMs = spec.format === 'azure-csv' ? (first?.atMs ?? 0) : 0;
      expect(parsed.trace.durationMs).toBeCloseTo((last?.atMs ?? 0) - offsetMs, 0);
    },
  );

  it('cover both formats and differ in their seeds', () => {
    expect(new Set(HELD_OUT_TRACES.map((s) => s.format))).toEqual(new Set(['azure-csv', 'mooncake-jsonl']));
    expect(new Set(HELD_OUT_TRACES.map((s) => s.seed)).size).toBe(HELD_OUT_TRACES.length);
  });
});
