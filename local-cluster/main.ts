import { Command } from 'commander';
import { clusterHealthy, clusterStatus, startCluster, stopCluster } from './cluster.js';
import { defaultStateDir } from './paths.js';
import { startPrometheus, stopPrometheus } from './prometheus.js';
import type { StaticScrapeTarget } from './prometheus-config.js';

// The local cluster's command line: `up`, `down`, `status`, and Prometheus alone (`prometheus-stop|start`).
// Used by `make cluster-up` / `make cluster-down`.
function parseTarget(value: string, previous: StaticScrapeTarget[]): StaticScrapeTarget[] {
  // name=127.0.0.1:port[/path]
  const match = /^([a-zA-Z_][a-zA-Z0-9_-]*)=(127\.\d+\.\d+\.\d+:\d+)(\/.*)?$/.exec(value);
  if (match === null)
    throw new Error(`--scrape ${JSON.stringify(value)}: expected name=127.0.0.1:port[/metrics-path]`);
  return [
    ...previous,
    {
      jobName: match[1] ?? '',
      targets: [match[2] ?? ''],
      ...(match[3] === undefined ? {} : { metricsPath: match[3] }),
    },
  ];
}

const program = new Command('local-cluster').description(
  'the K-SISS local cluster (etcd, Kubernetes, kwok, Prometheus, emulator)',
);
program.option('--state-dir <dir>', 'state dir (default KSISS_CLUSTER_DIR or .cluster/)');

program
  .command('up')
  .description('start everything (restarts a stale state dir; --reuse keeps a healthy running cluster)')
  .option('--topology <file>', 'topology file (default KSISS_TOPOLOGY or local-cluster/topology.yaml)')
  .option('--reuse', 'keep a healthy cluster that is already running')
  .option('--no-knative', 'do not start Knative Serving')
  .option('--scrape-interval <seconds>', 'Prometheus scrape interval', '1')
  .option('--scrape <name=127.0.0.1:port[/path]>', 'extra static scrape target (repeatable)', parseTarget, [])
  .option('--http-sd <url>', 'extra http_sd endpoint (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .action(
    async (opts: {
      topology?: string;
      reuse?: boolean;
      knative: boolean;
      scrapeInterval: string;
      scrape: StaticScrapeTarget[];
      httpSd: string[];
    }) => {
      const state = await startCluster({
        stateDir: program.opts<{ stateDir?: string }>().stateDir ?? defaultStateDir(),
        ...(opts.topology === undefined ? {} : { topologyFile: opts.topology }),
        reuse: opts.reuse === true,
        ...(opts.knative ? {} : { knative: false }),
        scrapeIntervalSeconds: Number(opts.scrapeInterval),
        extraScrapeTargets: opts.scrape,
        extraHttpSdUrls: opts.httpSd,
      });
      process.stdout.write(
        [
          `apiserver   ${state.apiserverUrl}`,
          `kubeconfig  ${state.kubeconfig}   (kubectl: ${state.kubectl})`,
          `prometheus  ${state.prometheusUrl}`,
          `emulator    ${state.emulatorUrl}   (PUT /load/{namespace}/{service}, GET /pods)`,
          `knative     ${state.knative === undefined ? 'not started' : JSON.stringify(state.knative)}`,
          `state       ${state.stateDir}/state.json`,
          `started in ${state.startSeconds} s (build/wait ${state.buildSeconds} s)`,
          '',
        ].join('\n'),
      );
    },
  );

program
  .command('down')
  .description('stop every process of the state dir')
  .action(async () => {
    const stopped = await stopCluster(program.opts<{ stateDir?: string }>().stateDir ?? defaultStateDir());
    process.stdout.write(stopped.length > 0 ? `stopped: ${stopped.join(', ')}\n` : 'nothing was running\n');
  });

program
  .command('status')
  .description('show the components and whether the cluster answers')
  .action(async () => {
    const { state, lines } = clusterStatus(
      program.opts<{ stateDir?: string }>().stateDir ?? defaultStateDir(),
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    if (state === undefined) {
      process.stdout.write('no state.json: the cluster is not up\n');
      process.exitCode = 1;
      return;
    }
    const healthy = await clusterHealthy(state);
    process.stdout.write(
      `${healthy ? 'healthy' : 'NOT healthy'}: apiserver ${state.apiserverUrl}, prometheus ${state.prometheusUrl}, emulator ${state.emulatorUrl}\n`,
    );
    if (!healthy) process.exitCode = 1;
  });

program
  .command('prometheus-stop')
  .description('stop Prometheus alone')
  .action(async () => stopPrometheus(program.opts<{ stateDir?: string }>().stateDir ?? defaultStateDir()));

program
  .command('prometheus-start')
  .description('start Prometheus again (same port, config and data)')
  .action(async () => {
    process.stdout.write(
      `${await startPrometheus(program.opts<{ stateDir?: string }>().stateDir ?? defaultStateDir())}\n`,
    );
  });

await program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
