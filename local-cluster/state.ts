import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const staticTargetSchema = z.object({
  jobName: z.string(),
  targets: z.array(z.string()),
  metricsPath: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  stateDir: z.string(),
  kubeconfig: z.string(),
  apiserverUrl: z.string(),
  adminToken: z.string(),
  caCertFile: z.string(),
  etcdUrl: z.string(),
  prometheusUrl: z.string(),
  emulatorUrl: z.string(),
  kubectl: z.string(),
  topologyFile: z.string(),
  nodes: z.array(z.string()),
  ports: z.object({
    etcdClient: z.number(),
    etcdPeer: z.number(),
    apiserver: z.number(),
    controllerManager: z.number(),
    scheduler: z.number(),
    prometheus: z.number(),
    emulator: z.number(),
  }),
  prometheus: z.object({
    scrapeIntervalSeconds: z.number(),
    staticTargets: z.array(staticTargetSchema),
    httpSdUrls: z.array(z.string()),
    fileSdDir: z.string(),
  }),
  startedAtMs: z.number(),
  /** Seconds the last `up` took (binaries were cached or not: see buildSeconds). */
  startSeconds: z.number(),
  buildSeconds: z.number(),
  /** What startKnative (local-cluster/knative.ts) returned, if Knative was started. */
  knative: z.record(z.string(), z.unknown()).optional(),
});

/** Everything a test or tool needs to reach the running local cluster (`<stateDir>/state.json`). */
export type ClusterState = z.infer<typeof stateSchema>;

/** Path of state.json in a state dir. */
export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

/** Writes state.json atomically (readers never see half a file). */
export function writeState(state: ClusterState): void {
  const file = stateFile(state.stateDir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** Reads state.json; undefined when absent; throws naming the field when malformed. */
export function readState(stateDir: string): ClusterState | undefined {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return undefined;
  const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (re-run \`make cluster-up\`)`,
    );
  }
  return parsed.data;
}
