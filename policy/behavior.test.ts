import { formatTime, limitByPolicies, recordRecommendation, stabilize } from './behavior.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => formatTime(NOW - seconds * 1000);

describe('recordRecommendation (run-length history)', () => {
  const cases = [
    { name: 'first entry', history: [], replicas: 3, expected: [{ time: ago(0), replicas: 3 }] },
    {
      name: 'same value: unchanged (no status write)',
      history: [{ time: ago(50), replicas: 3 }],
      replicas: 3,
      expected: [{ time: ago(50), replicas: 3 }],
    },
    {
      name: 'new value appended',
      history: [{ time: ago(50), replicas: 3 }],
      replicas: 4,
      expected: [
        { time: ago(50), replicas: 3 },
        { time: ago(0), replicas: 4 },
      ],
    },
    {
      name: 'runs ended before the window dropped, the run in force at its start kept',
      history: [
        { time: ago(900), replicas: 1 },
        { time: ago(700), replicas: 2 },
        { time: ago(200), replicas: 5 },
      ],
      replicas: 5,
      expected: [
        { time: ago(700), replicas: 2 },
        { time: ago(200), replicas: 5 },
      ],
    },
  ];
  it.each(cases)('$name', ({ history, replicas, expected }) => {
    expect(recordRecommendation(history, NOW, replicas, 300)).toEqual(expected);
  });
});

describe('stabilize', () => {
  it('a run that lasted into the window counts for the scale-down window', () => {
    const history = [
      { time: ago(400), replicas: 8 },
      { time: ago(250), replicas: 2 },
    ];
    // 8 was seen until 250 s ago: inside a 300 s window, outside a 200 s one.
    expect(stabilize(history, NOW, 8, 0, 300)).toBe(8);
    expect(stabilize(history, NOW, 8, 0, 200)).toBe(2);
  });
  it('an empty history keeps the current count', () => {
    expect(stabilize([], NOW, 4, 60, 300)).toBe(4);
  });
});

describe('limitByPolicies', () => {
  const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [] } as const;
  it('uses the HPA default policies when none are listed', () => {
    expect(limitByPolicies(2, 30, rules, rules, [], NOW)).toEqual({ replicas: 6, disabled: false });
    expect(limitByPolicies(8, 1, rules, rules, [], NOW)).toEqual({ replicas: 1, disabled: false });
  });
  it('reports Disabled', () => {
    expect(limitByPolicies(8, 1, rules, { ...rules, selectPolicy: 'Disabled' }, [], NOW)).toEqual({
      replicas: 8,
      disabled: true,
    });
  });
});
