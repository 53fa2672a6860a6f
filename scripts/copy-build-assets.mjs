// Copies the data files the compiled code reads next to it (tsc emits only the compiled .ts):
// the policy CRD, the Grafana dashboard, the simulator's default config, the cluster topology.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FOLDERS = [
  'autoscaler',
  'gpu-registry',
  'prometheus',
  'knative',
  'exporter',
  'leader',
  'policy',
  'service-model',
  'simulator',
  'cli',
  'local-cluster',
];
const DATA = /\.(ya?ml|json)$/;

function copyData(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) copyData(path);
    else if (DATA.test(entry)) cpSync(path, join('dist', path));
  }
}
for (const folder of FOLDERS) copyData(folder);
