import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { KubeConfig } from '@kubernetes/client-node';

import {
  addScrapeTargets,
  clusterHealthy,
  defaultStateDir,
  freePort,
  readState,
  removeScrapeTargets,
  startCluster,
  stopCluster,
} from '../local-cluster/index.js';
import {
  clearDemoLoad,
  currentDemoLoad,
  DEMO_NAMESPACE,
  DEMO_SERVICE,
  DEMO_SLO_MS,
  demoLoadPhases,
  deployDemo,
  p99Query,
  promScalar,
  removeDemoService,
  setDemoLoad,
  startLocalController,
  waitForDemoService,
  type LocalController,
} from './scenario.js';
import {
  decisionsBetween,
  formatRow,
  parseExposition,
  serviceSnapshot,
  summarize,
  TIMELINE_HEADER,
  type ServiceSnapshot,
  type TimelineRow,
} from './timeline.js';

/**
 * `make demo`: the local cluster with Knative and the emulated workload, configuration.yaml deployed, the
 * controller running locally as the deployed ServiceAccount, a Knative Service on mig-1g.10gb, a load ramp
 * and back, a live timeline and a summary. Flags: `--keep` leaves a cluster it started running;
 * `--use-running` only uses a healthy running cluster (never starts or restarts one);
 * `--duration-scale 0.5` plays the load phases twice as fast.
 */
const SAMPLE_EVERY_MS = 5_000;

function log(line: string): void {
  process.stdout.write(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function exporterSnapshot(controller: LocalController): Promise<ServiceSnapshot> {
  const text = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
  return serviceSnapshot(parseExposition(text), DEMO_SERVICE);
}

async function main(argv: readonly string[]): Promise<void> {
  const keep = argv.includes('--keep');
  const useRunning = argv.includes('--use-running');
  const scaleIndex = argv.indexOf('--duration-scale');
  const scale = scaleIndex >= 0 ? Number(argv[scaleIndex + 1]) : 1;
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`--duration-scale = ${argv[scaleIndex + 1]}: must be > 0`);
  const startedMs = Date.now();

  const stateDir = defaultStateDir();
  const previous = readState(stateDir);
  const reused = previous !== undefined && previous.knative !== undefined && (await clusterHealthy(previous));
  if (useRunning && (!reused || previous === undefined)) {
    throw new Error(`--use-running: no healthy local cluster with Knative in ${stateDir}`);
  }
  log(reused ? `reusing the local cluster in ${stateDir}` : `starting the local cluster in ${stateDir}`);
  const state =
    useRunning && previous !== undefined
      ? previous
      : await startCluster({ stateDir, reuse: true, log: (line) => log(`cluster: ${line}`) });
  const knativeError = (state.knative as { error?: string } | undefined)?.error;
  if (state.knative === undefined || knativeError !== undefined) {
    throw new Error(`Knative Serving is not running in the local cluster: ${knativeError ?? 'not started'}`);
  }
  const admin = new KubeConfig();
  admin.loadFromFile(state.kubeconfig);
  const workDir = mkdtempSync(join(tmpdir(), 'k-siss-demo-'));

  let controller: LocalController | undefined;
  try {
    await deployDemo(admin, log);
    const revision = await waitForDemoService(admin);
    log(`${DEMO_NAMESPACE}/${DEMO_SERVICE} is Ready (revision ${revision})`);
    controller = await startLocalController({
      admin,
      prometheusUrl: state.prometheusUrl,
      port: await freePort(),
      workDir,
      log,
    });
    addScrapeTargets(state.stateDir, 'k-siss-controller', [`127.0.0.1:${controller.port}`]);
    log(`Prometheus scrapes the controller (job k-siss-controller); controller log: ${controller.logFile}`);

    const phases = demoLoadPhases(scale);
    const endSeconds = (phases[phases.length - 1]?.atSeconds ?? 0) + Math.round(50 * scale);
    const loadStartMs = Date.now();
    let nextPhase = 0;
    let before = await exporterSnapshot(controller);
    const rows: TimelineRow[] = [];
    process.stdout.write(
      `\nSLO: p99 time to first token <= ${DEMO_SLO_MS} ms ('!' marks a breach). The timeline shows the p99 over all\n` +
        `revisions (so an old revision's backlog shows during a migration); the controller decides on the serving\n` +
        `revision's own p99.\n${TIMELINE_HEADER}\n`,
    );
    for (;;) {
      const elapsedSeconds = (Date.now() - loadStartMs) / 1000;
      while (nextPhase < phases.length && (phases[nextPhase]?.atSeconds ?? Infinity) <= elapsedSeconds) {
        const phase = phases[nextPhase];
        if (phase !== undefined) {
          await setDemoLoad(state.emulatorUrl, phase.profile);
          process.stdout.write(`       -- load: ${phase.label}\n`);
        }
        nextPhase += 1;
      }
      if (elapsedSeconds >= endSeconds) break;
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      const after = await exporterSnapshot(controller);
      const p99Seconds = await promScalar(state.prometheusUrl, p99Query(DEMO_NAMESPACE, DEMO_SERVICE));
      const row: TimelineRow = {
        elapsedSeconds: (Date.now() - loadStartMs) / 1000,
        loadRequestsPerSecond: await currentDemoLoad(state.emulatorUrl),
        p99Ms: p99Seconds === undefined ? undefined : p99Seconds * 1000,
        sloMs: DEMO_SLO_MS,
        tier: after.tier,
        replicas: after.replicas,
        decision: decisionsBetween(before.decisions, after.decisions),
      };
      rows.push(row);
      process.stdout.write(`${formatRow(row)}\n`);
      before = after;
    }

    const last = await exporterSnapshot(controller);
    const totalSeconds = Math.round((Date.now() - startedMs) / 1000);
    process.stdout.write(`\nSummary (${totalSeconds} s in all)\n`);
    for (const line of summarize(rows, last, DEMO_SLO_MS)) process.stdout.write(`  ${line}\n`);
    process.stdout.write(
      `  dashboard:          import exporter/grafana-dashboard.json; Prometheus ${state.prometheusUrl}\n`,
    );
  } finally {
    await clearDemoLoad(state.emulatorUrl);
    if (controller !== undefined) {
      removeScrapeTargets(state.stateDir, 'k-siss-controller');
      const code = await controller.stop();
      log(`controller stopped (exit ${code}); its log stays in ${controller.logFile}`);
    }
    // The ServiceAccount token is not left lying around.
    rmSync(join(workDir, 'k-siss-autoscaler.kubeconfig'), { force: true });
    if (!keep) {
      await removeDemoService(admin).catch((error: unknown) =>
        log(`could not delete the demo service: ${String(error)}`),
      );
      log(`deleted ${DEMO_NAMESPACE}/${DEMO_SERVICE} (use --keep to leave it)`);
    }
    if (!reused && !keep) {
      await stopCluster(state.stateDir);
      log('local cluster stopped (use --keep to leave it running)');
    } else {
      log(`local cluster left running (${state.stateDir}); stop it with make cluster-down`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
