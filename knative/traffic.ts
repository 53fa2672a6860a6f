import type { Condition, KnativeRevision, KnativeService, TrafficTarget } from './types.js';

/** The Ready condition of a Knative object, if reported. */
export function readyCondition(conditions: readonly Condition[] | undefined): Condition | undefined {
  return conditions?.find((c) => c.type === 'Ready');
}

/** A revision is ready when its Ready condition is True. */
export function isRevisionReady(revision: KnativeRevision | undefined): boolean {
  return readyCondition(revision?.status?.conditions)?.status === 'True';
}

/** Sum of the percents of a traffic block (missing percent counts as 0). */
export function trafficSum(targets: readonly TrafficTarget[]): number {
  return targets.reduce((sum, t) => sum + (t.percent ?? 0), 0);
}

/**
 * The traffic block sending `percentToNew` to `toRevision` and the rest to `fromRevision`, both by name.
 * Entries with 0% are left out, so a revision that is not ready yet is never named; always sums to 100.
 */
export function splitTraffic(
  fromRevision: string,
  toRevision: string,
  percentToNew: number,
): TrafficTarget[] {
  const toNew = Math.min(100, Math.max(0, Math.round(percentToNew)));
  const targets: TrafficTarget[] = [];
  if (toNew < 100) targets.push({ revisionName: fromRevision, percent: 100 - toNew });
  if (toNew > 0) targets.push({ revisionName: toRevision, percent: toNew });
  return targets;
}

/**
 * Cleans a `trafficSteps` list: whole percents in (0, 100], strictly increasing, ending at 100.
 * `[]` or garbage becomes `[100]` (all at once).
 */
export function normalizeTrafficSteps(steps: readonly number[]): number[] {
  const out: number[] = [];
  for (const raw of steps) {
    const step = Math.round(raw);
    if (!Number.isFinite(step) || step <= 0 || step > 100) continue;
    if (out.length > 0 && step <= (out[out.length - 1] ?? 0)) continue;
    out.push(step);
  }
  if (out[out.length - 1] !== 100) out.push(100);
  return out;
}

/** Percent of traffic each revision gets according to a traffic block (status.traffic names revisions). */
export function percentByRevision(targets: readonly TrafficTarget[] | undefined): Map<string, number> {
  const byRevision = new Map<string, number>();
  for (const t of targets ?? []) {
    if (t.revisionName === undefined) continue;
    byRevision.set(t.revisionName, (byRevision.get(t.revisionName) ?? 0) + (t.percent ?? 0));
  }
  return byRevision;
}

/**
 * The revision serving (most of) the traffic: from `status.traffic` (which always names revisions),
 * else the latest ready revision.
 */
export function servingRevisionName(service: KnativeService): string | undefined {
  let best: string | undefined;
  let bestPercent = -1;
  for (const [name, percent] of percentByRevision(service.status?.traffic)) {
    if (percent > bestPercent) {
      best = name;
      bestPercent = percent;
    }
  }
  return best ?? service.status?.latestReadyRevisionName;
}

/** Whether `spec.traffic` follows the latest revision (absent traffic means latestRevision: 100%). */
export function followsLatestRevision(traffic: readonly TrafficTarget[] | undefined): boolean {
  return traffic === undefined || traffic.length === 0 || traffic.some((t) => t.latestRevision === true);
}

/**
 * Why a migration may not rewrite this `spec.traffic`, or undefined when it may: a migration pins traffic
 * to one revision and at its end restores one entry (`latestRevision` or the new revision), so tags and
 * splits the user set would be lost. Allowed: no block, or one untagged entry with all the traffic.
 */
export function trafficRewriteProblem(traffic: readonly TrafficTarget[] | undefined): string | undefined {
  if (traffic === undefined || traffic.length === 0) return undefined;
  const tagged = traffic.filter((t) => t.tag !== undefined).map((t) => t.tag);
  if (tagged.length > 0) return `spec.traffic has tags (${tagged.join(', ')})`;
  if (traffic.length > 1) return `spec.traffic splits traffic over ${traffic.length} entries`;
  return undefined;
}

/** Whether a traffic block sends exactly 100% to one revision, by name. */
export function isPinnedTo(traffic: readonly TrafficTarget[] | undefined, revisionName: string): boolean {
  const byRevision = percentByRevision(traffic);
  return byRevision.get(revisionName) === 100 && trafficSum(traffic ?? []) === 100;
}
