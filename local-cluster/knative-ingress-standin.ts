/**
 * THE ONE STAND-IN of the local cluster: there is no networking layer (Kourier/Istio), so nothing would ever
 * mark Knative's KIngress objects ready and every Route would stay `IngressNotConfigured`. This loop marks each
 * KIngress's status ready (LoadBalancerReady, NetworkConfigured, Ready) with `localhost` as its load balancer,
 * exactly what a networking layer reports once it has programmed the routes. Nothing else is imitated:
 * Services, Configurations, Revisions, Routes, PodAutoscalers and the webhook are real Knative Serving.
 *
 * Run alone: `npx tsx local-cluster/knative-ingress-standin.ts --kubeconfig <file>`.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { SYSTEM_CLOCK, type Clock } from './clock.js';

const GROUP = 'networking.internal.knative.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'ingresses';

interface IngressCondition {
  readonly type: string;
  readonly status: string;
}
interface Ingress {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly generation?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly conditions?: readonly IngressCondition[];
  };
}

function isMarkedReady(ingress: Ingress): boolean {
  const ready = ingress.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready && ingress.status?.observedGeneration === ingress.metadata.generation;
}

/** The status a networking layer writes once the ingress is programmed. */
function readyStatus(ingress: Ingress, nowIso: string): Record<string, unknown> {
  const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: nowIso });
  const lb = { ingress: [{ domainInternal: 'localhost' }] };
  return {
    observedGeneration: ingress.metadata.generation ?? 1,
    conditions: [condition('LoadBalancerReady'), condition('NetworkConfigured'), condition('Ready')],
    publicLoadBalancer: lb,
    privateLoadBalancer: lb,
  };
}

/** A running stand-in loop; `stop()` ends it. */
export interface IngressStandIn {
  stop(): Promise<void>;
  /** How many times an ingress status was written (for tests and logs). */
  readonly marked: () => number;
}

/** Marks every KIngress ready, polling every `intervalMs`, until stopped. */
export function startIngressStandIn(
  kubeConfig: KubeConfig,
  intervalMs = 300,
  clock: Clock = SYSTEM_CLOCK,
): IngressStandIn {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      try {
        const list = (await api.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
        })) as {
          items: Ingress[];
        };
        for (const ingress of list.items) {
          if (isMarkedReady(ingress)) continue;
          await api.patchNamespacedCustomObjectStatus(
            {
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
              namespace: ingress.metadata.namespace,
              name: ingress.metadata.name,
              body: { status: readyStatus(ingress, new Date(clock.now()).toISOString()) },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          count += 1;
        }
      } catch {
        // The API server may be starting or the CRD not yet established: try again next round.
      }
      await clock.sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    marked: () => count,
  };
}

function kubeconfigArg(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--kubeconfig');
  return at >= 0 ? argv[at + 1] : process.env.KUBECONFIG;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = kubeconfigArg(process.argv);
  if (file === undefined) {
    process.stderr.write('knative-ingress-standin: --kubeconfig <file> (or KUBECONFIG) is required\n');
    process.exit(2);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const standIn = startIngressStandIn(kc);
  process.stdout.write(`knative-ingress-standin: marking KIngress objects ready (kubeconfig ${file})\n`);
  const stop = () => void standIn.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
