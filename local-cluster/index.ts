/**
 * Public face of the local cluster harness: real etcd, kube-apiserver, controller-manager, scheduler and kwok
 * (fake GPU nodes from a topology file), our own Prometheus, the emulated inference workload, and Knative
 * (local-cluster/knative.ts). Tests read the running cluster through test/cluster-state.ts.
 */
export { SYSTEM_CLOCK, waitFor, type Clock } from './clock.js';
export {
  clusterHealthy,
  clusterStatus,
  startCluster,
  stopCluster,
  type StartClusterOptions,
} from './cluster.js';
export {
  EMULATED_LABEL,
  Emulator,
  KNATIVE_REVISION_LABEL,
  KNATIVE_SERVICE_LABEL,
  SERVICE_LABEL,
  podReady,
  podService,
  type EmulatorOptions,
  type PodService,
  type PodView,
} from './emulator.js';
export { parseLoadProfile, rateAt, type LoadProfile, type LoadProfileParseResult } from './load-profile.js';
export {
  cacheDir,
  defaultStateDir,
  readVersions,
  upstreamBinaries,
  type UpstreamBinaries,
  type UpstreamVersions,
} from './paths.js';
export { podTier, type PodTierResult } from './pod-tier.js';
export { freePort, freePorts } from './ports.js';
export {
  isRunning,
  listComponents,
  logFile,
  logTail,
  readComponent,
  startComponent,
  stopComponent,
  type ComponentProcess,
} from './processes.js';
export {
  addScrapeTargets,
  prometheusReady,
  removeScrapeTargets,
  startPrometheus,
  stopPrometheus,
} from './prometheus.js';
export {
  renderPrometheusConfig,
  type PrometheusConfigInput,
  type StaticScrapeTarget,
} from './prometheus-config.js';
export { readState, stateFile, type ClusterState } from './state.js';
export {
  DEFAULT_TOPOLOGY_FILE,
  GPU_MODEL_LABEL,
  KWOK_NODE_ANNOTATION,
  loadTopologyFile,
  nodeManifest,
  parseTopology,
  type Topology,
  type TopologyNode,
} from './topology.js';
export { splitTraffic, type TrafficSplit, type TrafficTarget } from './traffic-split.js';
