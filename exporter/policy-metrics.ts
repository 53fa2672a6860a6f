import { Counter, Gauge, type Registry } from 'prom-client';

/** The typed recording API of the AIInferenceAutoscalerPolicy controller. */
export interface PolicyMetrics {
  /** Sets the replicas a policy wants and the replicas its target has now. */
  setPolicyReplicas(
    namespace: string,
    policy: string,
    desiredReplicas: number,
    currentReplicas: number,
  ): void;
  /** Counts one decision of a policy by action and reason. */
  recordPolicyDecision(namespace: string, policy: string, action: string, reason: string): void;
  /** Removes the series of a deleted policy. */
  removePolicy(namespace: string, policy: string): void;
}

/** Registers the policy controller's series in `registry` and returns the recording API. */
export function createPolicyMetrics(registry: Registry): PolicyMetrics {
  const registers = [registry];
  const desired = new Gauge({
    name: 'ksiss_policy_desired_replicas',
    help: 'Replicas an AIInferenceAutoscalerPolicy wants for its target.',
    labelNames: ['namespace', 'policy'],
    registers,
  });
  const current = new Gauge({
    name: 'ksiss_policy_current_replicas',
    help: "Replicas of an AIInferenceAutoscalerPolicy's target (scale subresource status).",
    labelNames: ['namespace', 'policy'],
    registers,
  });
  const decisions = new Counter({
    name: 'ksiss_policy_decisions_total',
    help: 'Decisions of AIInferenceAutoscalerPolicy objects by action and reason.',
    labelNames: ['namespace', 'policy', 'action', 'reason'],
    registers,
  });
  return {
    setPolicyReplicas(namespace, policy, desiredReplicas, currentReplicas) {
      const labels = { namespace, policy };
      if (Number.isFinite(desiredReplicas)) desired.set(labels, desiredReplicas);
      else desired.remove(labels);
      if (Number.isFinite(currentReplicas)) current.set(labels, currentReplicas);
      else current.remove(labels);
    },
    recordPolicyDecision(namespace, policy, action, reason) {
      decisions.inc({ namespace, policy, action, reason });
    },
    removePolicy(namespace, policy) {
      desired.remove({ namespace, policy });
      current.remove({ namespace, policy });
    },
  };
}
