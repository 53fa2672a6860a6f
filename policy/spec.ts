import { z } from 'zod';
import { unknownPlaceholders } from '../autoscaler/index.js';
import type { EnabledMetric, PolicyIssue, PolicySpec } from './types.js';
import { POLICY_METRIC_NAMES } from './types.js';

// The API server validates with the CRD schema; this parse repeats it at the edge (objects written
// before a CRD upgrade, or a CRD installed without its CEL rules) so the core only sees valid specs.
const positive = z.number().finite().positive();
const percentage = positive.max(100);
const count = z.number().int();

const scalingPolicy = z.object({
  type: z.enum(['Pods', 'Percent']),
  value: count.min(1),
  periodSeconds: count.min(1).max(1800),
});

const scalingRules = (windowSeconds: number) =>
  z
    .object({
      stabilizationWindowSeconds: count.min(0).max(3600).default(windowSeconds),
      selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
      policies: z.array(scalingPolicy).max(10).default([]),
    })
    .default({ stabilizationWindowSeconds: windowSeconds, selectPolicy: 'Max', policies: [] });

// Custom PromQL takes the autoscaler ConfigMap's placeholders; a typo such as {{pods}} is an error here,
// not a query that silently matches nothing.
const query = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    // {{revision}} is a Knative notion: a Deployment or StatefulSet has none.
    const unknown = [...unknownPlaceholders(text), ...(text.includes('{{revision}}') ? ['revision'] : [])];
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder ${unknown.map((u: string) => `{{${u}}}`).join(', ')} (known: {{namespace}}, {{service}}, {{podRegex}}, {{pod}}, %s)`,
      });
    }
  })
  .optional();

/** A metric with a percentage target (GPU utilisation, GPU memory). */
const percentageMetric = z
  .object({
    enabled: z.boolean().default(false),
    targetPercentage: percentage.optional(),
    prometheusQuery: query,
  })
  .refine((m) => !m.enabled || m.targetPercentage !== undefined, {
    message: 'targetPercentage is required when enabled',
    path: ['targetPercentage'],
  });

const specSchema = z
  .object({
    targetRef: z.object({
      apiVersion: z.literal('apps/v1').default('apps/v1'),
      kind: z.enum(['Deployment', 'StatefulSet']),
      name: z.string().min(1).max(253),
    }),
    minReplicas: count.min(1).default(1),
    maxReplicas: count.min(1),
    cooldownPeriod: count.min(0).max(86400).default(300),
    metrics: z
      .object({
        latency: z
          .object({
            enabled: z.boolean().default(false),
            targetP99Ms: positive.optional(),
            targetP95Ms: positive.optional(),
            histogramMetric: z
              .string()
              .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
              .default('inference_request_duration_seconds'),
            prometheusQuery: query,
            p95PrometheusQuery: query,
          })
          .refine((m) => !m.enabled || m.targetP99Ms !== undefined || m.targetP95Ms !== undefined, {
            message: 'targetP99Ms or targetP95Ms is required when enabled',
          })
          .optional(),
        gpuUtilization: percentageMetric.optional(),
        gpuMemory: percentageMetric.optional(),
        requestQueueDepth: z
          .object({
            enabled: z.boolean().default(false),
            targetDepth: positive.optional(),
            prometheusQuery: query,
          })
          .refine((m) => !m.enabled || m.targetDepth !== undefined, {
            message: 'targetDepth is required when enabled',
            path: ['targetDepth'],
          })
          .optional(),
      })
      .refine(
        (m) =>
          [m.latency, m.gpuUtilization, m.gpuMemory, m.requestQueueDepth].some(
            (metric) => metric?.enabled === true,
          ),
        { message: 'at least one of latency, gpuUtilization, gpuMemory, requestQueueDepth must be enabled' },
      ),
    algorithm: z
      .object({
        name: z.enum(['MaxRatio', 'AverageRatio', 'WeightedRatio']).default('MaxRatio'),
        tolerance: z.number().min(0).max(1).default(0.1),
        weights: z.partialRecord(z.enum(POLICY_METRIC_NAMES), z.number().finite().min(0)).optional(),
      })
      .refine((a) => a.weights === undefined || a.name === 'WeightedRatio', {
        message: 'weights is only allowed with name WeightedRatio',
        path: ['weights'],
      })
      .refine((a) => a.name !== 'WeightedRatio' || Object.keys(a.weights ?? {}).length > 0, {
        message: 'weights is required with name WeightedRatio',
        path: ['weights'],
      })
      .default({ name: 'MaxRatio', tolerance: 0.1 }),
    scaleUp: scalingRules(60),
    scaleDown: scalingRules(300),
    fallback: z.object({ failureThreshold: count.min(1), replicas: count.min(1) }).optional(),
  })
  .refine((s) => s.minReplicas <= s.maxReplicas, {
    message: 'must be less than or equal to spec.maxReplicas',
    path: ['minReplicas'],
  })
  .refine(
    (s) =>
      s.fallback === undefined ||
      (s.fallback.replicas >= s.minReplicas && s.fallback.replicas <= s.maxReplicas),
    {
      message: 'must lie within [spec.minReplicas, spec.maxReplicas]',
      path: ['fallback', 'replicas'],
    },
  );

/** The outcome of parsing a policy spec: the spec with defaults, or every problem found. */
export type SpecParse =
  | { readonly ok: true; readonly spec: PolicySpec }
  | { readonly ok: false; readonly issues: readonly PolicyIssue[]; readonly message: string };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Validates and defaults `spec`; every issue names the field (`spec.maxReplicas`) and the value. */
export function parsePolicySpec(raw: unknown): SpecParse {
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: ['spec', ...issue.path.map(String)].join('.'),
      value: valueAt(raw, issue.path),
      message: issue.message,
    }));
    const message = issues
      .map((i) => `${i.path} = ${JSON.stringify(i.value) ?? 'undefined'}: ${i.message}`)
      .join('; ');
    return { ok: false, issues, message };
  }
  const s = parsed.data;
  const spec: PolicySpec = {
    targetRef: s.targetRef,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    cooldownPeriodSeconds: s.cooldownPeriod,
    metrics: s.metrics,
    algorithm: {
      name: s.algorithm.name,
      tolerance: s.algorithm.tolerance,
      weights: s.algorithm.weights ?? {},
    },
    scaleUp: s.scaleUp,
    scaleDown: s.scaleDown,
    ...(s.fallback === undefined ? {} : { fallback: s.fallback }),
  };
  return { ok: true, spec };
}

/** The enabled metrics of a spec, in a fixed order, with targets in status units. */
export function enabledMetrics(spec: PolicySpec): readonly EnabledMetric[] {
  const out: EnabledMetric[] = [];
  const { latency, gpuUtilization, gpuMemory, requestQueueDepth } = spec.metrics;
  const add = (
    name: EnabledMetric['name'],
    target: number | undefined,
    customQuery: string | undefined,
  ): void => {
    if (target !== undefined)
      out.push(customQuery === undefined ? { name, target } : { name, target, customQuery });
  };
  if (latency?.enabled) {
    add('latencyP99', latency.targetP99Ms, latency.prometheusQuery);
    add('latencyP95', latency.targetP95Ms, latency.p95PrometheusQuery);
  }
  if (gpuUtilization?.enabled)
    add('gpuUtilization', gpuUtilization.targetPercentage, gpuUtilization.prometheusQuery);
  if (gpuMemory?.enabled) add('gpuMemory', gpuMemory.targetPercentage, gpuMemory.prometheusQuery);
  if (requestQueueDepth?.enabled)
    add('requestQueueDepth', requestQueueDepth.targetDepth, requestQueueDepth.prometheusQuery);
  return out;
}

/**
 * The fields of a spec whose own PromQL would run (`spec.metrics.latency.prometheusQuery`, ...), for a
 * controller whose administrator turned custom queries off: such a query runs with the controller's
 * Prometheus identity and could read other namespaces' series.
 */
export function customQueryFields(spec: PolicySpec): readonly string[] {
  const field: Record<EnabledMetric['name'], string> = {
    latencyP99: 'spec.metrics.latency.prometheusQuery',
    latencyP95: 'spec.metrics.latency.p95PrometheusQuery',
    gpuUtilization: 'spec.metrics.gpuUtilization.prometheusQuery',
    gpuMemory: 'spec.metrics.gpuMemory.prometheusQuery',
    requestQueueDepth: 'spec.metrics.requestQueueDepth.prometheusQuery',
  };
  return enabledMetrics(spec)
    .filter((metric) => metric.customQuery !== undefined)
    .map((metric) => field[metric.name]);
}
