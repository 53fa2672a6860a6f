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

const timings: ElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const t0 = Date.UTC(2026, 0, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const heldBy = (holderIdentity: string | undefined, leaseTransitions = 3): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  renewTime: iso(t0),
  leaseTransitions,
});
const seen = (record: LeaseRecord, observedAtMs = t0): LeaseObservation => ({ record, observedAtMs });

describe('decideLeaseStep', () => {
  it.each([
    {
      name: 'no lease: create it with us as holder',
      observation: undefined,
      nowMs: t0,
      expected: {
        kind: 'create',
        reason: 'noLease',
        record: { holderIdentity: 'a', leaseTransitions: 0, leaseDurationSeconds: 15 },
      },
    },
    {
      name: 'we hold it: renew, transitions unchanged',
      observation: seen(heldBy('a')),
      nowMs: t0 + 2_000,
      expected: {
        kind: 'renew',
        reason: 'holder',
        record: { holderIdentity: 'a', leaseTransitions: 3, renewTime: iso(t0 + 2_000) },
      },
    },
    {
      name: 'held by another, fresh: wait until it expires',
      observation: seen(heldBy('b')),
      nowMs: t0 + 14_999,
      expected: { kind: 'wait', reason: 'heldByOther', holderIdentity: 'b', expiresAtMs: t0 + 15_000 },
    },
    {
      name: 'held by another, not renewed for a lease duration: take over, transitions + 1',
      observation: seen(heldBy('b')),
      nowMs: t0 + 15_000,
      expected: { kind: 'takeOver', reason: 'expired', record: { holderIdentity: 'a', leaseTransitions: 4 } },
    },
    {
      name: 'released (empty holder): take over at once',
      observation: seen(heldBy(undefined)),
      nowMs: t0,
      expected: {
        kind: 'takeOver',
        reason: 'released',
        record: { holderIdentity: 'a', leaseTransitions: 4 },
      },
    },
    {
      name: "expiry follows the holder's own lease duration",
      observation: seen({ ...heldBy('b'), leaseDurationSeconds: 60 }),
      nowMs: t0 + 30_000,
      expected: { kind: 'wait', expiresAtMs: t0 + 60_000 },
    },
  ])('$name', ({ observation, nowMs, expected }) => {
    expect(decideLeaseStep('a', observation, timings, iso(nowMs), nowMs)).toMatchObject(expected);
  });
});

describe('observeLease', () => {
  it.each([
    {
      name: 'first sight starts the clock',
      previous: undefined,
      record: heldBy('b'),
      nowMs: t0 + 5_000,
      observedAtMs: t0 + 5_000,
    },
    {
      name: 'an unchanged record keeps the first sight time',
      previous: seen(heldBy('b')),
      record: heldBy('b'),
      nowMs: t0 + 9_000,
      observedAtMs: t0,
    },
    {
      name: 'a renewal (new renewTime) restarts the clock',
      previous: seen(heldBy('b')),
      record: { ...heldBy('b'), renewTime: iso(t0 + 2_000) },
      nowMs: t0 + 9_000,
      observedAtMs: t0 + 9_000,
    },
    {
      name: 'a new holder restarts the clock',
      previous: seen(heldBy('b')),
      record: heldBy('c', 4),
      nowMs: t0 + 9_000,
      observedAtMs: t0 + 9_000,
    },
  ])('$name', ({ previous, record, nowMs, observedAtMs }) => {
    expect(observeLease(previous, record, nowMs)).toEqual({ record, observedAtMs });
  });

  it('a skewed holder clock does not matter: expiry counts from our own observation', () => {
    // The holder writes a renewTime an hour in the past (its clock is wrong) but keeps renewing.
    let observation: LeaseObservation | undefined;
    for (let i = 0; i < 10; i++) {
      const nowMs = t0 + i * 2_000;
      observation = observeLease(observation, { ...heldBy('b'), renewTime: iso(t0 - 3_600_000 + i) }, nowMs);
      expect(decideLeaseStep('a', observation, timings, iso(nowMs), nowMs).kind).toBe('wait');
    }
  });
});

describe('two candidates never both lead', () => {
  it('the leader stops at its renew deadline before the other may take over', () => {
    // a renewed last at t0; b saw that renewal at t0 (the earliest possible).
    const lastRenewedAtMs = t0;
    const bObservation = seen(heldBy('a'));
    for (let nowMs = t0; nowMs <= t0 + 20_000; nowMs += 250) {
      const aLeads = stillLeading(lastRenewedAtMs, nowMs, timings);
      const bMayTake = decideLeaseStep('b', bObservation, timings, iso(nowMs), nowMs).kind === 'takeOver';
      expect({ nowMs: nowMs - t0, both: aLeads && bMayTake }).toEqual({ nowMs: nowMs - t0, both: false });
    }
  });

  it.each([
    { name: 'just renewed', sinceMs: 0, leading: true },
    { name: 'just before the deadline', sinceMs: 9_999, leading: true },
    { name: 'at the deadline', sinceMs: 10_000, leading: false },
  ])('stillLeading: $name', ({ sinceMs, leading }) => {
    expect(stillLeading(t0, t0 + sinceMs, timings)).toBe(leading);
  });

  it('a released record has no holder and keeps the transition count', () => {
    expect(releasedRecord(heldBy('a', 7), iso(t0))).toEqual({
      holderIdentity: undefined,
      leaseDurationSeconds: 1,
      renewTime: iso(t0),
      leaseTransitions: 7,
    });
  });
});

describe('validateElection', () => {
  it.each([
    { name: 'client-go defaults are valid', identity: 'pod-1', timings, fields: [] },
    { name: 'empty identity', identity: ' ', timings, fields: ['identity'] },
    {
      name: 'renew deadline not below lease duration',
      identity: 'a',
      timings: { ...timings, renewDeadlineMs: 15_000 },
      fields: ['renewDeadlineMs'],
    },
    {
      name: 'retry period too close to the renew deadline',
      identity: 'a',
      timings: { ...timings, retryPeriodMs: 9_000 },
      fields: ['retryPeriodMs'],
    },
    {
      name: 'non-positive and NaN numbers',
      identity: 'a',
      timings: { leaseDurationMs: NaN, renewDeadlineMs: -1, retryPeriodMs: 0 },
      fields: ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'],
    },
  ])('$name', ({ identity, timings: given, fields }) => {
    const issues = validateElection(identity, given);
    expect([...new Set(issues.map((i) => i.field))].sort()).toEqual([...fields].sort());
    for (const issue of issues) expect(issue.message).not.toBe('');
  });
});
