import * as k8s from '@kubernetes/client-node';
import type { MetricsSource } from '../prometheus/index.js';
import { evaluatePolicy } from './evaluate.js';
import { policyQueries, readingsFrom } from './queries.js';
import { customQueryFields, enabledMetrics, parsePolicySpec } from './spec.js';
import type { PolicyEvent, ReconcileOutcome } from './status.js';
import { eventsFor, mergePatch, nextStatus } from './status.js';
import type { PolicyObject, PolicySpec, PolicyStatus } from './types.js';
import { POLICY_GROUP, POLICY_KIND, POLICY_PLURAL, POLICY_VERSION } from './types.js';

/** The shell's time source (the autoscaler's `Clock`, e.g. `systemClock`, satisfies it). */
export interface PolicyClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Where the controller logs (a winston Logger satisfies it). */
export interface PolicyLogger {
  info(message: string, meta: Record<string, unknown>): unknown;
  warn(message: string, meta: Record<string, unknown>): unknown;
}

/** What `k-siss run` passes to start the policy controller. */
export interface PolicyControllerOptions {
  readonly kubeConfig: k8s.KubeConfig;
  /** The Prometheus metrics source (prometheus/ createPrometheusMetricsSource). */
  readonly metricsSource: MetricsSource;
  /** Stops the controller; `runPolicyController` resolves once it has. */
  readonly signal: AbortSignal;
  /** Namespaces to watch; empty or absent = all namespaces. */
  readonly namespaces?: readonly string[];
  /** Seconds between two reconciles of every policy (default 15, as the HPA). */
  readonly intervalSeconds?: number;
  readonly clock: PolicyClock;
  readonly logger: PolicyLogger;
  /** The `source.component` / reportingController of Events. */
  readonly component?: string;
  /** Called after each reconcile (exporter metrics, tests). */
  readonly onReconciled?: (record: PolicyReconcileRecord) => void;
  /** Called when a policy is deleted (the exporter drops its series). */
  readonly onDeleted?: (namespace: string, name: string) => void;
  /**
   * False: a policy with its own `prometheusQuery` is refused (InvalidSpec) and the query never runs
   * (`k-siss run --no-custom-queries`). Default true.
   */
  readonly allowCustomQueries?: boolean;
}

/** One reconcile, as reported to `onReconciled` and the log. */
export interface PolicyReconcileRecord {
  readonly namespace: string;
  readonly name: string;
  readonly atMs: number;
  readonly outcome: ReconcileOutcome;
  readonly statusWritten: boolean;
  readonly events: readonly PolicyEvent[];
}

type TargetKind = PolicySpec['targetRef']['kind'];

const DEFAULT_COMPONENT = 'k-siss-policy-controller';
const INFORMER_RETRY_MS = 5_000;

function errorCode(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body: unknown = error.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    let message = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && 'message' in parsed)
        message = String(parsed.message);
    } catch {
      // not JSON: keep the text
    }
    return `HTTP ${error.code}: ${message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The scale subresource of a Deployment or StatefulSet; the only way this controller changes replicas. */
async function readScale(
  apps: k8s.AppsV1Api,
  kind: TargetKind,
  namespace: string,
  name: string,
): Promise<k8s.V1Scale> {
  return kind === 'Deployment'
    ? apps.readNamespacedDeploymentScale({ namespace, name })
    : apps.readNamespacedStatefulSetScale({ namespace, name });
}

async function replaceScale(
  apps: k8s.AppsV1Api,
  kind: TargetKind,
  scale: k8s.V1Scale,
  replicas: number,
): Promise<void> {
  const namespace = scale.metadata?.namespace ?? '';
  const name = scale.metadata?.name ?? '';
  // Carries the resourceVersion just read: a concurrent change is a 409, retried on the next read.
  const body: k8s.V1Scale = { ...scale, spec: { replicas } };
  if (kind === 'Deployment') await apps.replaceNamespacedDeploymentScale({ namespace, name, body });
  else await apps.replaceNamespacedStatefulSetScale({ namespace, name, body });
}

function podReady(pod: k8s.V1Pod): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function isPolicy(value: unknown): value is PolicyObject {
  if (value === null || typeof value !== 'object') return false;
  const meta = (value as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  return typeof meta?.name === 'string' && typeof meta.namespace === 'string';
}

/** Scales Deployments and StatefulSets from AIInferenceAutoscalerPolicy objects until `signal` aborts. */
export async function runPolicyController(options: PolicyControllerOptions): Promise<void> {
  const { clock, logger } = options;
  const component = options.component ?? DEFAULT_COMPONENT;
  const intervalMs = Math.max(1, options.intervalSeconds ?? 15) * 1000;
  const { kubeConfig: kc, signal, metricsSource } = options;
  const namespaces =
    options.namespaces !== undefined && options.namespaces.length > 0 ? options.namespaces : [''];

  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);

  // --- informers: policies (triggers), targets and HPAs (prompt reaction to a new target or conflict) ---
  const queue = new Set<string>();
  let wake = new AbortController();
  const enqueue = (key: string): void => {
    queue.add(key);
    wake.abort();
  };
  const policyInformers: Array<k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>> =
    [];
  const otherInformers: Array<k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>> =
    [];
  const hpaInformers: Array<k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>> = [];
  const reconciledGeneration = new Map<string, number | undefined>();
  const lastOutcomeKind = new Map<string, ReconcileOutcome['kind']>();

  const policies = (): PolicyObject[] =>
    policyInformers.flatMap((inf) => inf.list().flatMap((o) => (isPolicy(o) ? [o] : [])));
  const policiesTargeting = (namespace: string, kind: string, name: string): PolicyObject[] =>
    policies().filter((p) => {
      const ref = (p.spec as { targetRef?: { kind?: unknown; name?: unknown } } | undefined)?.targetRef;
      return p.metadata.namespace === namespace && ref?.kind === kind && ref.name === name;
    });

  for (const namespace of namespaces) {
    const path =
      namespace === ''
        ? `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`
        : `/apis/${POLICY_GROUP}/${POLICY_VERSION}/namespaces/${namespace}/${POLICY_PLURAL}`;
    const list = async (): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> =>
      (namespace === ''
        ? await custom.listClusterCustomObject({
            group: POLICY_GROUP,
            version: POLICY_VERSION,
            plural: POLICY_PLURAL,
          })
        : await custom.listNamespacedCustomObject({
            group: POLICY_GROUP,
            version: POLICY_VERSION,
            namespace,
            plural: POLICY_PLURAL,
          })) as k8s.KubernetesListObject<k8s.KubernetesObject>;
    const informer = k8s.makeInformer(kc, path, list);
    informer.on('add', (obj) => {
      if (isPolicy(obj)) enqueue(keyOf(obj.metadata.namespace, obj.metadata.name));
    });
    // A status write does not bump metadata.generation: only spec changes trigger a reconcile.
    informer.on('update', (obj) => {
      if (!isPolicy(obj)) return;
      const key = keyOf(obj.metadata.namespace, obj.metadata.name);
      if (reconciledGeneration.get(key) !== obj.metadata.generation) enqueue(key);
    });
    informer.on('delete', (obj) => {
      if (!isPolicy(obj)) return;
      const key = keyOf(obj.metadata.namespace, obj.metadata.name);
      queue.delete(key);
      reconciledGeneration.delete(key);
      lastOutcomeKind.delete(key);
      options.onDeleted?.(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    });
    policyInformers.push(informer);
  }

  const watchTargets = (kind: TargetKind | 'HorizontalPodAutoscaler'): void => {
    for (const namespace of namespaces) {
      const all = namespace === '';
      let informer: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
      if (kind === 'Deployment') {
        informer = k8s.makeInformer(
          kc,
          all ? '/apis/apps/v1/deployments' : `/apis/apps/v1/namespaces/${namespace}/deployments`,
          () => (all ? apps.listDeploymentForAllNamespaces() : apps.listNamespacedDeployment({ namespace })),
        );
      } else if (kind === 'StatefulSet') {
        informer = k8s.makeInformer(
          kc,
          all ? '/apis/apps/v1/statefulsets' : `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
          () =>
            all ? apps.listStatefulSetForAllNamespaces() : apps.listNamespacedStatefulSet({ namespace }),
        );
      } else {
        informer = k8s.makeInformer(
          kc,
          all
            ? '/apis/autoscaling/v2/horizontalpodautoscalers'
            : `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`,
          () =>
            all
              ? autoscaling.listHorizontalPodAutoscalerForAllNamespaces()
              : autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
        );
      }
      const touched = (obj: k8s.KubernetesObject, always: boolean): void => {
        const ns = obj.metadata?.namespace ?? '';
        const targets: Array<{ kind: string; name: string }> =
          kind === 'HorizontalPodAutoscaler'
            ? [(obj as k8s.V2HorizontalPodAutoscaler).spec?.scaleTargetRef ?? { kind: '', name: '' }]
            : [{ kind, name: obj.metadata?.name ?? '' }];
        for (const target of targets) {
          for (const policy of policiesTargeting(ns, target.kind, target.name)) {
            const key = keyOf(ns, policy.metadata.name);
            // Target updates (its own status, our scaling) wait for the interval: metrics lag behind a
            // scaling, and re-reading at once would scale twice on the same numbers.
            if (always || lastOutcomeKind.get(key) !== 'evaluated') enqueue(key);
          }
        }
      };
      informer.on('add', (obj) => touched(obj, true));
      informer.on('delete', (obj) => touched(obj, true));
      informer.on('update', (obj) => touched(obj, kind === 'HorizontalPodAutoscaler'));
      otherInformers.push(informer);
      if (kind === 'HorizontalPodAutoscaler') hpaInformers.push(informer);
    }
  };
  watchTargets('Deployment');
  watchTargets('StatefulSet');
  watchTargets('HorizontalPodAutoscaler');
  const hpas = (): k8s.V2HorizontalPodAutoscaler[] =>
    hpaInformers.flatMap((inf) => inf.list() as k8s.V2HorizontalPodAutoscaler[]);

  const startInformer = async (informer: k8s.Informer<k8s.KubernetesObject>, what: string): Promise<void> => {
    informer.on('error', (error: unknown) => {
      if (signal.aborted) return;
      logger.warn('watch failed, restarting', { watch: what, error: describeError(error) });
      void clock.sleep(INFORMER_RETRY_MS, signal).then(() => {
        if (!signal.aborted) informer.start().catch(() => undefined);
      });
    });
    try {
      await informer.start();
    } catch (error) {
      // The error handler above restarts it (e.g. the CRD is not installed yet).
      logger.warn('watch could not start', { watch: what, error: describeError(error) });
    }
  };
  await Promise.all([
    ...policyInformers.map((inf) => startInformer(inf, POLICY_PLURAL)),
    ...otherInformers.map((inf) => startInformer(inf, 'targets')),
  ]);

  // --- events ---
  const recordEvent = async (policy: PolicyObject, event: PolicyEvent, nowMs: number): Promise<void> => {
    const time = new Date(nowMs);
    const body: k8s.CoreV1Event = {
      metadata: {
        namespace: policy.metadata.namespace,
        name: `${policy.metadata.name}.${nowMs.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
      },
      involvedObject: {
        apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
        kind: POLICY_KIND,
        namespace: policy.metadata.namespace,
        name: policy.metadata.name,
        ...(policy.metadata.uid === undefined ? {} : { uid: policy.metadata.uid }),
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, 1024),
      source: { component },
      reportingComponent: component,
      reportingInstance: component,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    try {
      await core.createNamespacedEvent({ namespace: policy.metadata.namespace, body });
    } catch (error) {
      logger.warn('could not record event', {
        policy: policy.metadata.name,
        reason: event.reason,
        error: describeError(error),
      });
    }
  };

  // --- one reconcile ---
  const observeAndAct = async (policy: PolicyObject, nowMs: number): Promise<ReconcileOutcome> => {
    const parsed = parsePolicySpec(policy.spec);
    if (!parsed.ok) return { kind: 'invalidSpec', message: parsed.message };
    const spec = parsed.spec;
    const custom = options.allowCustomQueries === false ? customQueryFields(spec) : [];
    if (custom.length > 0) {
      return {
        kind: 'invalidSpec',
        message: `custom queries are turned off on this controller (${custom.join(', ')}): remove them to use the built-in queries`,
      };
    }
    const { kind, name } = spec.targetRef;
    const namespace = policy.metadata.namespace;
    let scale: k8s.V1Scale;
    try {
      scale = await readScale(apps, kind, namespace, name);
    } catch (error) {
      if (errorCode(error) === 404)
        return { kind: 'targetNotFound', message: `${kind} ${namespace}/${name} not found` };
      throw error;
    }
    const conflict = hpas().find(
      (h) =>
        h.metadata?.namespace === namespace &&
        h.spec?.scaleTargetRef.kind === kind &&
        h.spec.scaleTargetRef.name === name,
    );
    if (conflict !== undefined) {
      return {
        kind: 'conflictingAutoscaler',
        autoscaler: `HorizontalPodAutoscaler/${conflict.metadata?.name ?? ''}`,
        message: `HorizontalPodAutoscaler ${namespace}/${conflict.metadata?.name ?? ''} also scales ${kind} ${name}; this policy does not act while it exists`,
      };
    }
    const currentReplicas = scale.spec?.replicas ?? 0;
    const selector = scale.status?.selector ?? '';
    const pods =
      selector === '' ? [] : (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    const readyPods = pods
      .filter(podReady)
      .map((p) => p.metadata?.name ?? '')
      .filter((n) => n !== '');
    const queries = policyQueries(spec, enabledMetrics(spec), readyPods.length);
    const target = { namespace, service: name, revision: undefined, readyPods };
    const read = await metricsSource.read(target, queries, signal);
    const readings = readingsFrom(queries, read, target);
    const evaluation = evaluatePolicy({ spec, currentReplicas, readings, status: policy.status, nowMs });
    const { decision } = evaluation;
    if (decision.action !== 'scale') return { kind: 'evaluated', currentReplicas, evaluation };
    try {
      await replaceScale(apps, kind, scale, decision.targetReplicas);
      return { kind: 'evaluated', currentReplicas, evaluation, actuation: { ok: true } };
    } catch (error) {
      const message = `could not set ${kind} ${namespace}/${name} scale to ${decision.targetReplicas}: ${describeError(error)}`;
      return { kind: 'evaluated', currentReplicas, evaluation, actuation: { ok: false, message } };
    }
  };

  const reconcile = async (key: string): Promise<void> => {
    const [namespace = '', name = ''] = key.split('/');
    let policy: PolicyObject;
    try {
      // Read afresh (not from the watch cache): the status holds the cooldown and windows we last wrote.
      const fresh: unknown = await custom.getNamespacedCustomObject({
        group: POLICY_GROUP,
        version: POLICY_VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name,
      });
      if (!isPolicy(fresh)) return;
      policy = fresh;
    } catch (error) {
      if (errorCode(error) !== 404)
        logger.warn('could not read policy', { policy: key, error: describeError(error) });
      return;
    }
    const nowMs = clock.now();
    let outcome: ReconcileOutcome;
    try {
      outcome = await observeAndAct(policy, nowMs);
    } catch (error) {
      logger.warn('reconcile failed (transient), retrying next interval', {
        policy: key,
        error: describeError(error),
      });
      return;
    }
    const parsed = parsePolicySpec(policy.spec);
    const algorithm = parsed.ok ? parsed.spec.algorithm.name : undefined;
    const next: PolicyStatus = nextStatus(
      policy.status,
      outcome,
      algorithm,
      policy.metadata.generation,
      nowMs,
    );
    const patch = mergePatch(policy.status ?? {}, next);
    // Recorded before the status write, so the watch event of that write (same generation) is not taken
    // for a spec change and does not queue a second reconcile on the same metrics.
    reconciledGeneration.set(key, policy.metadata.generation);
    let statusWritten = false;
    if (patch !== undefined) {
      try {
        await custom.patchNamespacedCustomObjectStatus(
          {
            group: POLICY_GROUP,
            version: POLICY_VERSION,
            namespace,
            plural: POLICY_PLURAL,
            name,
            body: { status: patch },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        statusWritten = true;
      } catch (error) {
        logger.warn('could not write status', { policy: key, error: describeError(error) });
      }
    }
    const events = eventsFor(policy.status, outcome);
    for (const event of events) await recordEvent(policy, event, nowMs);
    lastOutcomeKind.set(key, outcome.kind);
    const decision = outcome.kind === 'evaluated' ? outcome.evaluation.decision : undefined;
    logger.info('policy reconciled', {
      policy: key,
      outcome: outcome.kind,
      action: decision?.action,
      reason: decision?.reason,
      message: decision?.message ?? ('message' in outcome ? outcome.message : undefined),
      statusWritten,
    });
    options.onReconciled?.({ namespace, name, atMs: nowMs, outcome, statusWritten, events });
  };

  // --- the loop: every policy each interval, and at once on a spec change or a new/removed target ---
  let nextFullMs = clock.now();
  try {
    while (!signal.aborted) {
      if (clock.now() >= nextFullMs) {
        for (const p of policies()) queue.add(keyOf(p.metadata.namespace, p.metadata.name));
        nextFullMs = clock.now() + intervalMs;
      }
      wake = new AbortController();
      const keys = [...queue];
      queue.clear();
      for (const key of keys) {
        if (signal.aborted) break;
        await reconcile(key);
      }
      if (queue.size > 0 || signal.aborted) continue;
      await clock.sleep(Math.max(0, nextFullMs - clock.now()), AbortSignal.any([signal, wake.signal]));
    }
  } finally {
    await Promise.all(
      [...policyInformers, ...otherInformers].map((inf) => inf.stop().catch(() => undefined)),
    );
  }
}
