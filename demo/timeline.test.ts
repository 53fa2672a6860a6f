import { decisionsBetween, formatRow, parseExposition, serviceSnapshot, summarize } from './timeline.js';

const exposition = `# HELP ksiss_service_tier_info x
# TYPE ksiss_service_tier_info gauge
ksiss_service_tier_info{namespace="demo",service="chat",tier="mig-2g.20gb"} 1
ksiss_service_replicas{namespace="demo",service="chat"} 1
ksiss_decisions_total{namespace="demo",service="chat",action="up",reason="sloPressure"} 1
ksiss_decisions_total{namespace="demo",service="chat",action="hold",reason="withinBand"} 7
ksiss_migrations_total{namespace="demo",service="chat",result="succeeded"} 1
ksiss_migration_duration_seconds_sum{service="chat",result="succeeded"} 12.5
ksiss_slo_metric_value{service="chat",metric="tpot_p99"} 0.031
ksiss_service_replicas{namespace="demo",service="other"} 3
ksiss_leader 1
`;

describe('demo timeline', () => {
  it('parses the exposition format, labels with escapes included', () => {
    expect(parseExposition('a_b{x="q\\"z",y="2"} 3.5\n# c\nplain 1')).toEqual([
      { name: 'a_b', labels: { x: 'q"z', y: '2' }, value: 3.5 },
      { name: 'plain', labels: {}, value: 1 },
    ]);
  });

  it("picks one service's tier, replicas, decisions and migrations", () => {
    expect(serviceSnapshot(parseExposition(exposition), 'chat')).toEqual({
      tier: 'mig-2g.20gb',
      replicas: 1,
      decisions: { 'up sloPressure': 1, 'hold withinBand': 7 },
      migrations: { succeeded: 1 },
      migrationSeconds: 12.5,
      sloValue: 0.031,
    });
  });

  it.each<{ name: string; before: Record<string, number>; after: Record<string, number>; expected: string }>([
    { name: 'nothing new', before: { 'hold withinBand': 2 }, after: { 'hold withinBand': 2 }, expected: '-' },
    {
      name: 'acting decisions first, repeats counted',
      before: { 'hold withinBand': 2 },
      after: { 'hold withinBand': 5, 'up sloPressure': 1 },
      expected: 'up sloPressure, hold withinBand x3',
    },
  ])('decisionsBetween: $name', ({ before, after, expected }) => {
    expect(decisionsBetween(before, after)).toBe(expected);
  });

  it('formats a row, marking a p99 above the SLO and missing data', () => {
    const row = formatRow({
      elapsedSeconds: 75,
      loadRequestsPerSecond: 6,
      p99Ms: 61.25,
      sloMs: 50,
      tier: 'mig-1g.10gb',
      replicas: undefined,
      decision: 'up sloPressure',
    });
    expect(row).toMatch(/^ 1:15 +6\.0 +61\.3! +50 +mig-1g\.10gb +- +up sloPressure$/);
  });

  it('summarizes tiers visited, migrations and SLO breaches', () => {
    const rows = [
      { tier: 'mig-1g.10gb', p99Ms: 30 },
      { tier: 'mig-1g.10gb', p99Ms: 70 },
      { tier: 'mig-2g.20gb', p99Ms: 20 },
      { tier: 'mig-2g.20gb', p99Ms: undefined },
    ].map((r, i) => ({
      ...r,
      elapsedSeconds: i * 5,
      loadRequestsPerSecond: 1,
      sloMs: 50,
      replicas: 1,
      decision: '-',
    }));
    const lines = summarize(rows, serviceSnapshot(parseExposition(exposition), 'chat'), 50);
    expect(lines).toEqual([
      'tiers visited:      mig-1g.10gb -> mig-2g.20gb',
      'final tier:         mig-2g.20gb with 1 replica(s)',
      'migrations:         1 (succeeded 1), mean 12.5 s',
      'p99 above the SLO:  1 of 3 samples',
      'decisions:          hold withinBand: 7, up sloPressure: 1',
    ]);
  });
});
