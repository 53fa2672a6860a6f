/** Timing of a leader election, as in client-go's leaderelection package. */
export interface ElectionTimings {
  /** How long a lease stays valid after its last renewal, as seen by the other candidates. */
  readonly leaseDurationMs: number;
  /** The leader gives up leading when it could not renew for this long (must be < leaseDurationMs). */
  readonly renewDeadlineMs: number;
  /** How often candidates try to acquire and the leader renews. */
  readonly retryPeriodMs: number;
}

/** The fields of a coordination.k8s.io/v1 Lease that the election reads. */
export interface LeaseRecord {
  readonly holderIdentity: string | undefined;
  readonly leaseDurationSeconds: number | undefined;
  /** `spec.renewTime` as written by the holder (compared for change only, never with our clock). */
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

/**
 * What a candidate has seen of the lease: the record and when (by its own clock) it last changed.
 * Expiry is measured from `observedAtMs`, like client-go, so clock skew between replicas does not matter.
 */
export interface LeaseObservation {
  readonly record: LeaseRecord;
  readonly observedAtMs: number;
}

/** The next step of a candidate; every variant says why. */
export type LeaseStep =
  | {
      readonly kind: 'create';
      readonly reason: 'noLease';
      readonly message: string;
      readonly record: LeaseRecord;
    }
  | {
      readonly kind: 'takeOver';
      readonly reason: 'expired' | 'released';
      readonly message: string;
      readonly record: LeaseRecord;
    }
  | {
      readonly kind: 'renew';
      readonly reason: 'holder';
      readonly message: string;
      readonly record: LeaseRecord;
    }
  | {
      readonly kind: 'wait';
      readonly reason: 'heldByOther';
      readonly message: string;
      readonly holderIdentity: string;
      /** When, by our clock, the lease expires unless its holder renews it. */
      readonly expiresAtMs: number;
    };

/** A problem with the election settings, naming the field and the value. */
export interface TimingIssue {
  readonly field: keyof ElectionTimings | 'identity';
  readonly value: unknown;
  readonly message: string;
}

/** Checks the timings (and identity) the way client-go does; an empty list means valid. */
export function validateElection(identity: string, timings: ElectionTimings): readonly TimingIssue[] {
  const issues: TimingIssue[] = [];
  if (identity.trim() === '')
    issues.push({ field: 'identity', value: identity, message: 'must not be empty' });
  for (const field of ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'] as const) {
    const value = timings[field];
    if (!Number.isFinite(value) || value <= 0) issues.push({ field, value, message: 'must be a number > 0' });
  }
  if (timings.renewDeadlineMs >= timings.leaseDurationMs) {
    issues.push({
      field: 'renewDeadlineMs',
      value: timings.renewDeadlineMs,
      message: `must be < leaseDurationMs (${timings.leaseDurationMs}), or two replicas could both lead`,
    });
  }
  if (timings.retryPeriodMs * 1.2 >= timings.renewDeadlineMs) {
    issues.push({
      field: 'retryPeriodMs',
      value: timings.retryPeriodMs,
      message: `must be < renewDeadlineMs / 1.2 (${timings.renewDeadlineMs / 1.2}), to renew at least once in time`,
    });
  }
  return issues;
}

/** Updates the observation: the time only moves when the record itself changed. */
export function observeLease(
  previous: LeaseObservation | undefined,
  record: LeaseRecord,
  nowMs: number,
): LeaseObservation {
  if (previous !== undefined && sameRecord(previous.record, record)) return previous;
  return { record, observedAtMs: nowMs };
}

/** Decides what a candidate does with the lease it just read (`undefined`: there is none). */
export function decideLeaseStep(
  identity: string,
  observation: LeaseObservation | undefined,
  timings: ElectionTimings,
  nowIso: string,
  nowMs: number,
): LeaseStep {
  const leaseDurationSeconds = Math.max(1, Math.ceil(timings.leaseDurationMs / 1000));
  const ours = (leaseTransitions: number): LeaseRecord => ({
    holderIdentity: identity,
    leaseDurationSeconds,
    renewTime: nowIso,
    leaseTransitions,
  });
  if (observation === undefined) {
    return {
      kind: 'create',
      reason: 'noLease',
      message: `no lease yet: ${identity} creates it`,
      record: ours(0),
    };
  }
  const { record, observedAtMs } = observation;
  if (record.holderIdentity === identity) {
    return {
      kind: 'renew',
      reason: 'holder',
      message: `${identity} holds the lease and renews it`,
      record: ours(record.leaseTransitions),
    };
  }
  if (record.holderIdentity === undefined || record.holderIdentity === '') {
    return {
      kind: 'takeOver',
      reason: 'released',
      message: `the lease was released: ${identity} takes it`,
      record: ours(record.leaseTransitions + 1),
    };
  }
  const durationMs = (record.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  const expiresAtMs = observedAtMs + durationMs;
  if (nowMs >= expiresAtMs) {
    return {
      kind: 'takeOver',
      reason: 'expired',
      message: `${record.holderIdentity} did not renew for ${Math.round((nowMs - observedAtMs) / 1000)} s: ${identity} takes the lease`,
      record: ours(record.leaseTransitions + 1),
    };
  }
  return {
    kind: 'wait',
    reason: 'heldByOther',
    message: `${record.holderIdentity} holds the lease`,
    holderIdentity: record.holderIdentity,
    expiresAtMs,
  };
}

/** The leader keeps leading only while its last successful renewal is within the renew deadline. */
export function stillLeading(lastRenewedAtMs: number, nowMs: number, timings: ElectionTimings): boolean {
  return nowMs - lastRenewedAtMs < timings.renewDeadlineMs;
}

/** The record a leader writes when it steps down, so a successor need not wait for expiry. */
export function releasedRecord(record: LeaseRecord, nowIso: string): LeaseRecord {
  return {
    holderIdentity: undefined,
    leaseDurationSeconds: 1,
    renewTime: nowIso,
    leaseTransitions: record.leaseTransitions,
  };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions
  );
}
