/** The live demo (`make demo`) and the deploy helpers it shares with `make deploy` and the deploy tests. */
export {
  applyManifests,
  applyOrder,
  deleteManifests,
  DEPLOY_FIELD_MANAGER,
  parseManifests,
  readManifests,
  withImage,
} from './apply-manifests.js';
export type { ApplyOptions, Manifest } from './apply-manifests.js';
export { serviceAccountKubeConfig, writeKubeConfigFile } from './service-account-kubeconfig.js';
export type { ServiceAccountTokenRequest } from './service-account-kubeconfig.js';
