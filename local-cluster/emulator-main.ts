import { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { parseModel } from '../service-model/index.js';
import { loadYamlBounded, MAX_DOCUMENT_BYTES } from '../autoscaler/index.js';
import { readFileSync, statSync } from 'node:fs';
import { Emulator } from './emulator.js';

// Entry of the emulated inference workload, run as its own process by the harness (cluster.ts).
const program = new Command('emulator')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the local cluster')
  .requiredOption('--port <port>', 'loopback port for metrics, http_sd and the control API')
  .option('--model <file>', 'YAML/JSON model document (service-model parseModel); default Llama-3.1-8B FP8')
  .option('--seed <n>', 'seed of the load generator', '1')
  .parse();
const opts = program.opts<{ kubeconfig: string; port: string; model?: string; seed: string }>();

const port = Number(opts.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(`--port = ${JSON.stringify(opts.port)}: must be a TCP port\n`);
  process.exit(2);
}
let model;
if (opts.model !== undefined) {
  if (statSync(opts.model).size > MAX_DOCUMENT_BYTES) {
    process.stderr.write(`--model ${opts.model}: larger than ${MAX_DOCUMENT_BYTES} bytes\n`);
    process.exit(2);
  }
  const loaded = loadYamlBounded(readFileSync(opts.model, 'utf8'));
  if (!loaded.ok) {
    process.stderr.write(`--model ${opts.model}: ${loaded.message}\n`);
    process.exit(2);
  }
  const parsed = parseModel(loaded.value);
  if (!parsed.ok) {
    process.stderr.write(`--model ${opts.model}: ${parsed.message}\n`);
    process.exit(2);
  }
  model = parsed.model;
}
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(opts.kubeconfig);
const emulator = new Emulator({
  kubeConfig,
  port,
  seed: Number(opts.seed),
  ...(model === undefined ? {} : { model }),
});
await emulator.start();
const shutdown = (): void => {
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
