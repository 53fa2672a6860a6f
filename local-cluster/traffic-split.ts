/** A Ready pod of an emulated service, as the traffic split sees it. */
export interface SplitPod {
  readonly key: string;
  /** The Knative revision the pod belongs to; absent for Deployment/StatefulSet pods. */
  readonly revision?: string;
}

/** One entry of a Knative Route's `status.traffic`. */
export interface TrafficTarget {
  readonly revisionName?: string;
  readonly percent?: number;
}

/** Share of the service's load per pod (keys of pods that get none are absent) plus the share nobody serves. */
export interface TrafficSplit {
  readonly weights: ReadonlyMap<string, number>;
  /** Share of the load sent to revisions without a Ready pod (Knative's activator would hold it). */
  readonly unservedShare: number;
}

/**
 * Splits a service's load over its Ready pods: by the Route's traffic percent per revision, evenly within a
 * revision. Without a Route status (no Knative, or a Deployment), evenly over all Ready pods. Pure.
 */
export function splitTraffic(
  pods: readonly SplitPod[],
  traffic: readonly TrafficTarget[] | undefined,
): TrafficSplit {
  const weights = new Map<string, number>();
  const targets = (traffic ?? []).filter((t) => (t.percent ?? 0) > 0 && t.revisionName !== undefined);
  if (targets.length === 0) {
    if (pods.length === 0) return { weights, unservedShare: 1 };
    for (const p of pods) weights.set(p.key, 1 / pods.length);
    return { weights, unservedShare: 0 };
  }
  const total = targets.reduce((s, t) => s + (t.percent ?? 0), 0);
  let unserved = 0;
  const byRevision = new Map<string, number>();
  for (const t of targets)
    byRevision.set(
      t.revisionName as string,
      (byRevision.get(t.revisionName as string) ?? 0) + (t.percent ?? 0) / total,
    );
  for (const [revision, share] of byRevision) {
    const members = pods.filter((p) => p.revision === revision);
    if (members.length === 0) {
      unserved += share;
      continue;
    }
    for (const p of members) weights.set(p.key, (weights.get(p.key) ?? 0) + share / members.length);
  }
  return { weights, unservedShare: unserved };
}
