/** Where a query is evaluated: the service, its serving revision and that revision's Ready pods. */
export interface QueryTarget {
  readonly namespace: string;
  readonly service: string;
  readonly revision: string | undefined;
  readonly readyPods: readonly string[];
}

/**
 * How a query is run for one revision:
 * - `perPod`: it names one pod (`%s` or `{{pod}}`), so it runs once per Ready pod and the values are combined;
 * - `whole`: it runs once (`{{podRegex}}` matches every Ready pod, or it names no pod at all).
 */
export type QueryShape = 'perPod' | 'whole';

// Unknown placeholders are rejected by config validation (autoscaler/), so only the known ones occur here.
const PER_POD_PATTERN = /%s|\{\{pod\}\}/;

export function queryShape(query: string): QueryShape {
  return PER_POD_PATTERN.test(query) ? 'perPod' : 'whole';
}

/**
 * A PromQL regex that matches exactly the given pod names (for `pod=~"{{podRegex}}"`).
 * Prometheus anchors `=~` itself; the dots of pod names are escaped, and the backslash is doubled
 * because the regex sits inside a PromQL double-quoted string.
 */
export function podRegex(pods: readonly string[]): string {
  return [...pods]
    .sort()
    .map((pod) => pod.replace(/[.*+?^${}()|[\]\\]/g, (char) => `\\\\${char}`))
    .join('|');
}

/** The result of expanding one query for one target. */
export type Expansion =
  | { readonly kind: 'queries'; readonly shape: QueryShape; readonly queries: readonly string[] }
  | { readonly kind: 'noTarget'; readonly reason: 'noReadyPods' | 'noRevision'; readonly message: string };

/**
 * Expands the placeholders of `query` for `target`: one query per Ready pod for a per-pod query, one
 * query otherwise. With no Ready pod (or no serving revision where `{{revision}}` is used) there is
 * nothing to ask, which the caller reports as "no data", never as an error.
 */
export function expandQuery(query: string, target: QueryTarget): Expansion {
  const uses = (name: string): boolean => query.includes(`{{${name}}}`);
  if (uses('revision') && target.revision === undefined) {
    return {
      kind: 'noTarget',
      reason: 'noRevision',
      message: `service ${target.service} has no serving revision`,
    };
  }
  const shape = queryShape(query);
  if ((shape === 'perPod' || uses('podRegex')) && target.readyPods.length === 0) {
    return { kind: 'noTarget', reason: 'noReadyPods', message: `service ${target.service} has no Ready pod` };
  }
  const base = query
    .replaceAll('{{namespace}}', target.namespace)
    .replaceAll('{{service}}', target.service)
    .replaceAll('{{revision}}', target.revision ?? '')
    .replaceAll('{{podRegex}}', podRegex(target.readyPods));
  if (shape === 'whole') {
    return { kind: 'queries', shape, queries: [base] };
  }
  const queries = [...target.readyPods]
    .sort()
    .map((pod) => base.replaceAll('%s', pod).replaceAll('{{pod}}', pod));
  return { kind: 'queries', shape, queries };
}
