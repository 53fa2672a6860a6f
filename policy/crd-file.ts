import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the shipped CRD (policy/crd.yaml), for `kubectl apply`, configuration.yaml and tests. */
export const POLICY_CRD_FILE = join(dirname(fileURLToPath(import.meta.url)), 'crd.yaml');
