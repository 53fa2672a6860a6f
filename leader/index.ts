/** Leader election through a coordination.k8s.io/v1 Lease: only the holder acts. */
export { createLeaderElector, DEFAULT_ELECTION_TIMINGS } from './lease-elector.js';
export type { ElectorClock, LeaderElector, LeaderElectorOptions } from './lease-elector.js';
export {
  decideLeaseStep,
  observeLease,
  releasedRecord,
  stillLeading,
  validateElection,
} from './lease-state.js';
export type {
  ElectionTimings,
  LeaseObservation,
  LeaseRecord,
  LeaseStep,
  TimingIssue,
} from './lease-state.js';
