import type { CapacitySnapshot } from '../gpu-registry/index.js';
import type { ObservationStore, ObservedMetrics } from './observations.js';

/** What a simulated controller sees of the service at one of its ticks. */
export interface ServiceView {
  readonly nowMs: number;
  /** Tier of the revision serving (most of) the traffic. */
  readonly tier: string;
  /** Replicas the serving revision is asked to run. */
  readonly desiredReplicas: number;
  readonly readyReplicas: number;
  readonly migrationInFlight: boolean;
  /** Free units per node now (pods of this service already subtracted). */
  readonly capacity: CapacitySnapshot;
  /** Tiers that recently failed to become ready, until when. */
  readonly tierBackoffUntilMs: Readonly<Record<string, number>>;
  /** Every simulated series as a query at `nowMs` would return it. */
  readonly metrics: ObservedMetrics;
  /** Raw access for controllers with their own windows (KPA) or queries at offsets (k-siss's load growth). */
  readonly observations: ObservationStore;
  /** When the oldest Ready pod of the serving revision became Ready (+Infinity when none is). */
  readonly servingSinceMs: number;
}

/** What a simulated controller asks for; every variant says why. */
export type PolicyAction =
  | { readonly kind: 'hold'; readonly reason: string; readonly message: string }
  | { readonly kind: 'scale'; readonly replicas: number; readonly reason: string; readonly message: string }
  | {
      readonly kind: 'migrate';
      readonly tier: string;
      readonly replicas: number;
      readonly reason: string;
      readonly message: string;
    };

/**
 * How a tier change is carried out:
 * - `planned`: the k-siss migration (new revision, wait until ready, traffic steps, drain, delete old);
 * - `original`: the Go original (wait until ready, pin 100%, delete the old revision at once: in-flight
 *   requests are cut; the control loop is blocked meanwhile);
 * - `instant`: the oracle's idealisation (no start-up delay, the old pods stop being billed at once);
 * - `reactive`: `oracle-reactive`'s: new pods start and become Ready with the platform's timings (start-up,
 *   revision readiness), traffic moves all at once when they are, and the old pods stop being billed then.
 */
export type MigrationStyle = 'planned' | 'original' | 'instant' | 'reactive';

/** A controller under simulation. */
export interface SimPolicy {
  readonly name: string;
  /** Control-loop period. */
  readonly tickMs: number;
  readonly initial: { readonly tier: string; readonly replicas: number };
  readonly migrationStyle: MigrationStyle;
  /** Migration settings for `planned` migrations. */
  readonly migration?: {
    readonly readyTimeoutSeconds: number;
    readonly drainSeconds: number;
    readonly trafficSteps: readonly number[];
    readonly stepPauseSeconds: number;
    readonly tierBackoffSeconds: number;
  };
  /** Called on every tick; the result is carried out at once. */
  decide(view: ServiceView): PolicyAction;
  /** Seeds the policy's history as if it had run `initial` before the trace began (warm start). */
  warmStart?(initial: { readonly tier: string; readonly replicas: number }): void;
  /** Told what was carried out (or refused), so the policy can keep its state. */
  acted?(view: ServiceView, action: PolicyAction, started: boolean): void;
}
