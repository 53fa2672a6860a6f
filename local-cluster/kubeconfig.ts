import { readFileSync, writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';

/** Writes a kubeconfig for the admin token against the local apiserver (CA embedded). */
export function writeKubeconfig(file: string, apiserverUrl: string, caCertFile: string, token: string): void {
  const ca = readFileSync(caCertFile).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k-siss-local', cluster: { server: apiserverUrl, 'certificate-authority-data': ca } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [
      { name: 'k-siss-local', context: { cluster: 'k-siss-local', user: 'admin', namespace: 'default' } },
    ],
    'current-context': 'k-siss-local',
    preferences: {},
  };
  writeFileSync(file, dump(config), { mode: 0o600 });
}
