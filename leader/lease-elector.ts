import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

import {
  decideLeaseStep,
  observeLease,
  releasedRecord,
  stillLeading,
  validateElection,
  type ElectionTimings,
  type LeaseObservation,
  type LeaseRecord,
} from './lease-state.js';

/** Injected time (the shell's clock). */
export interface ElectorClock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Where the lease lives, who we are, and what to do when leadership starts and stops. */
export interface LeaderElectorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Lease name, e.g. `k-siss-autoscaler`. */
  readonly leaseName: string;
  /** Unique per replica, e.g. the pod name plus a random suffix. */
  readonly identity: string;
  readonly timings?: ElectionTimings;
  readonly clock?: ElectorClock;
  /** Called once leadership is acquired; `signal` aborts when it is lost or the elector stops. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called once leadership is lost or released (only after `onStartedLeading`). */
  readonly onStoppedLeading: () => void;
  /** Called when another identity is seen holding the lease. */
  readonly onNewLeader?: (identity: string) => void;
  /** Reports API errors that the elector retries (the loop itself never throws on them). */
  readonly onError?: (error: unknown) => void;
  /** Clear the holder when stopping, so a successor need not wait for expiry (default true). */
  readonly releaseOnCancel?: boolean;
}

/** A running leader election. */
export interface LeaderElector {
  /** Runs until `signal` aborts; then releases the lease if held. */
  run(signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
}

/** client-go's defaults for controllers: 15 s lease, 10 s renew deadline, 2 s retry. */
export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

const systemClock: ElectorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
    }),
};

/** Creates a Lease-based leader elector; throws naming the field when the timings are invalid. */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const timings = options.timings ?? DEFAULT_ELECTION_TIMINGS;
  const issues = validateElection(options.identity, timings);
  if (issues.length > 0) {
    throw new Error(
      `invalid leader election settings: ${issues.map((i) => `${i.field} = ${String(i.value)}: ${i.message}`).join('; ')}`,
    );
  }
  const clock = options.clock ?? systemClock;
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const { namespace, leaseName: name, identity } = options;

  let observation: LeaseObservation | undefined;
  let leading: AbortController | undefined;
  let lastRenewedAtMs = 0;
  let lastLeader: string | undefined;

  const stopLeading = () => {
    if (leading === undefined) return;
    const controller = leading;
    leading = undefined;
    controller.abort();
    options.onStoppedLeading();
  };

  /** One attempt: read the lease, decide, write; returns whether we hold it afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const nowMs = clock.now();
    const existing = await readLease(api, namespace, name);
    if (existing !== undefined) observation = observeLease(observation, toRecord(existing), nowMs);
    const step = decideLeaseStep(
      identity,
      existing === undefined ? undefined : observation,
      timings,
      new Date(nowMs).toISOString(),
      nowMs,
    );
    switch (step.kind) {
      case 'wait':
        if (lastLeader !== step.holderIdentity) {
          lastLeader = step.holderIdentity;
          options.onNewLeader?.(step.holderIdentity);
        }
        return false;
      case 'create': {
        const created = await writeOrConflict(() =>
          api.createNamespacedLease({
            namespace,
            body: toLease(name, namespace, undefined, step.record, nowMs),
          }),
        );
        return settle(created, nowMs);
      }
      case 'takeOver':
      case 'renew': {
        // Replace with the resourceVersion we read: if anyone wrote in between, the API server answers 409.
        const written = await writeOrConflict(() =>
          api.replaceNamespacedLease({
            name,
            namespace,
            body: toLease(name, namespace, existing, step.record, nowMs),
          }),
        );
        return settle(written, nowMs);
      }
    }
  };

  const settle = (written: V1Lease | undefined, nowMs: number): boolean => {
    if (written === undefined) {
      lastLeader = undefined; // lost the write race: someone else wrote the lease
      return false;
    }
    observation = observeLease(observation, toRecord(written), nowMs);
    lastRenewedAtMs = nowMs;
    lastLeader = identity;
    return true;
  };

  const release = async () => {
    try {
      const existing = await readLease(api, namespace, name);
      if (existing === undefined || existing.spec?.holderIdentity !== identity) return;
      const record = releasedRecord(toRecord(existing), new Date(clock.now()).toISOString());
      await writeOrConflict(() =>
        api.replaceNamespacedLease({
          name,
          namespace,
          body: toLease(name, namespace, existing, record, clock.now()),
        }),
      );
    } catch (error) {
      options.onError?.(error);
    }
  };

  /** Ends leadership at the renew deadline even while a renewal request hangs. */
  const watchdog = async (leadership: AbortSignal) => {
    while (!leadership.aborted) {
      const remainingMs = lastRenewedAtMs + timings.renewDeadlineMs - clock.now();
      if (remainingMs <= 0) {
        stopLeading();
        return;
      }
      await clock.sleep(remainingMs, leadership);
    }
  };

  const startLeading = () => {
    leading = new AbortController();
    options.onStartedLeading(leading.signal);
    void watchdog(leading.signal);
  };

  return {
    isLeader: () => leading !== undefined && stillLeading(lastRenewedAtMs, clock.now(), timings),
    async run(signal) {
      while (!signal.aborted) {
        let holds = false;
        try {
          holds = await tryAcquireOrRenew();
        } catch (error) {
          options.onError?.(error);
        }
        if (signal.aborted) break;
        if (holds && leading === undefined) startLeading();
        // Another holder (or a lost write race) ends leadership at once; API errors only at the deadline.
        if (!holds && leading !== undefined && lastLeader !== identity) stopLeading();
        await clock.sleep(timings.retryPeriodMs, signal);
      }
      const wasLeading = leading !== undefined;
      stopLeading();
      if (wasLeading && options.releaseOnCancel !== false) await release();
    },
  };
}

async function readLease(
  api: CoordinationV1Api,
  namespace: string,
  name: string,
): Promise<V1Lease | undefined> {
  try {
    return await api.readNamespacedLease({ name, namespace });
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/** Runs a write; a 409 (someone else wrote first) is a lost race, not an error. */
async function writeOrConflict(write: () => Promise<V1Lease>): Promise<V1Lease | undefined> {
  try {
    return await write();
  } catch (error) {
    if (statusCode(error) === 409) return undefined;
    throw error;
  }
}

function statusCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return undefined;
}

function toRecord(lease: V1Lease): LeaseRecord {
  const renewTime: unknown = lease.spec?.renewTime;
  return {
    holderIdentity: lease.spec?.holderIdentity === '' ? undefined : lease.spec?.holderIdentity,
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds,
    renewTime:
      renewTime instanceof Date
        ? renewTime.toISOString()
        : typeof renewTime === 'string'
          ? renewTime
          : undefined,
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
  };
}

function toLease(
  name: string,
  namespace: string,
  existing: V1Lease | undefined,
  record: LeaseRecord,
  nowMs: number,
): V1Lease {
  const previousHolder = existing?.spec?.holderIdentity;
  const keepAcquireTime = previousHolder !== undefined && previousHolder === record.holderIdentity;
  const acquireTime: unknown = existing?.spec?.acquireTime;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, resourceVersion: existing?.metadata?.resourceVersion },
    spec: {
      holderIdentity: record.holderIdentity ?? '',
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      renewTime: new V1MicroTime(nowMs),
      acquireTime:
        keepAcquireTime && (typeof acquireTime === 'string' || acquireTime instanceof Date)
          ? new V1MicroTime(acquireTime)
          : new V1MicroTime(nowMs),
    },
  };
}
