/** The live demo (`make demo`) and the deploy helpers it shares with `make deploy` and the deploy tests. */
export {
  applyManifests,
  applyOrder,
  deleteManifests,
  DEPLOY_FIELD_MANAGER,
  isCustomResource,
  parseManifests,
  readManifests,
  renderManifests,
  withImage,
} from './apply-manifests.js';
export {
  namespaceRbac,
  WATCHED_NAMESPACE_PLACEHOLDER,
  watchedNamespacesOf,
  withNamespaceRbac,
} from './namespace-rbac.js';
export type { ApplyOptions, Manifest } from './apply-manifests.js';
export { serviceAccountKubeConfig, writeKubeConfigFile } from './service-account-kubeconfig.js';
export type { ServiceAccountTokenRequest } from './service-account-kubeconfig.js';
export {
  clearDemoLoad,
  CONTROLLER_NAMESPACE,
  currentDemoLoad,
  DEMO_NAMESPACE,
  DEMO_SERVICE,
  DEMO_SLO_MS,
  demoConfigMap,
  demoKnativeService,
  demoLoadPhases,
  deployDemo,
  p99Query,
  promScalar,
  removeDemoService,
  setDemoLoad,
  startLocalController,
  waitForDemoService,
} from './scenario.js';
export type { LoadPhase, LocalController, LocalControllerOptions } from './scenario.js';
export {
  decisionsBetween,
  formatRow,
  parseExposition,
  serviceSnapshot,
  summarize,
  TIMELINE_HEADER,
} from './timeline.js';
export type { ExpositionSample, ServiceSnapshot, TimelineRow } from './timeline.js';
