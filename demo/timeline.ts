/** One sample of the Prometheus text exposition format. */
export interface ExpositionSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text format (what /metrics serves) into samples. Pure. */
export function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[4]) });
  }
  return samples;
}

/** What the exporter says about one service at one moment. */
export interface ServiceSnapshot {
  readonly tier: string | undefined;
  readonly replicas: number | undefined;
  /** Decision counts by `action reason`. */
  readonly decisions: Readonly<Record<string, number>>;
  readonly migrations: Readonly<Record<string, number>>;
  readonly migrationSeconds: number;
  readonly sloValue: number | undefined;
}

/** Picks one service's series out of the exporter's samples. Pure. */
export function serviceSnapshot(samples: readonly ExpositionSample[], service: string): ServiceSnapshot {
  const mine = samples.filter((s) => s.labels.service === service);
  const decisions: Record<string, number> = {};
  const migrations: Record<string, number> = {};
  let migrationSeconds = 0;
  for (const s of mine) {
    if (s.name === 'ksiss_decisions_total') decisions[`${s.labels.action} ${s.labels.reason}`] = s.value;
    if (s.name === 'ksiss_migrations_total') migrations[s.labels.result ?? '?'] = s.value;
    if (s.name === 'ksiss_migration_duration_seconds_sum') migrationSeconds += s.value;
  }
  return {
    tier: mine.find((s) => s.name === 'ksiss_service_tier_info' && s.value === 1)?.labels.tier,
    replicas: mine.find((s) => s.name === 'ksiss_service_replicas')?.value,
    decisions,
    migrations,
    migrationSeconds,
    sloValue: mine.find((s) => s.name === 'ksiss_slo_metric_value')?.value,
  };
}

/** The decisions taken between two snapshots, acting ones first: `up sloPressure`, `hold withinBand x3`. Pure. */
export function decisionsBetween(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): string {
  const deltas = Object.entries(after)
    .map(([key, count]) => [key, count - (before[key] ?? 0)] as const)
    .filter(([, delta]) => delta > 0)
    .sort(([a], [b]) => Number(a.startsWith('hold')) - Number(b.startsWith('hold')) || a.localeCompare(b));
  if (deltas.length === 0) return '-';
  return deltas.map(([key, delta]) => (delta === 1 ? key : `${key} x${delta}`)).join(', ');
}

/** One line of the live timeline. */
export interface TimelineRow {
  readonly elapsedSeconds: number;
  readonly loadRequestsPerSecond: number | undefined;
  readonly p99Ms: number | undefined;
  readonly sloMs: number;
  readonly tier: string | undefined;
  readonly replicas: number | undefined;
  readonly decision: string;
}

/** Column header of the timeline. */
export const TIMELINE_HEADER =
  ' time   load rps   p99 TTFT ms   SLO ms   tier           replicas   decisions (reason)';

/** Formats one timeline row (fixed columns, `-` for no data). Pure. */
export function formatRow(row: TimelineRow): string {
  const minutes = Math.floor(row.elapsedSeconds / 60);
  const seconds = Math.floor(row.elapsedSeconds % 60);
  const num = (value: number | undefined, digits: number, width: number) =>
    (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)).padStart(width);
  const breach = row.p99Ms !== undefined && row.p99Ms > row.sloMs ? '!' : ' ';
  return [
    `${String(minutes).padStart(2)}:${String(seconds).padStart(2, '0')}`,
    num(row.loadRequestsPerSecond, 1, 9),
    `${num(row.p99Ms, 1, 13)}${breach}`,
    num(row.sloMs, 0, 7),
    `   ${(row.tier ?? '-').padEnd(14)}`,
    num(row.replicas, 0, 8),
    `   ${row.decision}`,
  ].join(' ');
}

/** The end-of-demo summary, computed from the rows and the last exporter snapshot. Pure. */
export function summarize(rows: readonly TimelineRow[], last: ServiceSnapshot, sloMs: number): string[] {
  const tiers: string[] = [];
  for (const row of rows) {
    if (row.tier !== undefined && tiers[tiers.length - 1] !== row.tier) tiers.push(row.tier);
  }
  const measured = rows.filter((r) => r.p99Ms !== undefined && Number.isFinite(r.p99Ms));
  const breaches = measured.filter((r) => (r.p99Ms ?? 0) > sloMs).length;
  const migrations = Object.values(last.migrations).reduce((sum, n) => sum + n, 0);
  const decisions = Object.entries(last.decisions)
    .filter(([, n]) => n > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${key}: ${n}`);
  return [
    `tiers visited:      ${tiers.join(' -> ') || '-'}`,
    `final tier:         ${last.tier ?? '-'} with ${last.replicas ?? '-'} replica(s)`,
    `migrations:         ${migrations} (${
      Object.entries(last.migrations)
        .filter(([, n]) => n > 0)
        .map(([result, n]) => `${result} ${n}`)
        .join(', ') || 'none'
    })${migrations > 0 ? `, mean ${(last.migrationSeconds / migrations).toFixed(1)} s` : ''}`,
    `p99 above the SLO:  ${breaches} of ${measured.length} samples`,
    `decisions:          ${decisions.join(', ') || '-'}`,
  ];
}
