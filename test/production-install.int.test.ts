import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  applyManifests,
  readManifests,
  withNamespaceRbac,
  serviceAccountKubeConfig,
  writeKubeConfigFile,
} from '../demo/index.js';
import { clusterState, kubeConfig } from './cluster-state.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 300_000;

/**
 * The Dockerfile's install, without a Docker engine: `npm run build` in a clean copy of the sources, then a
 * fresh directory holding only package.json, the lockfile, dist/ and the production dependencies, started
 * as `node dist/cli/main.js run` with the deployed ServiceAccount's token against the real API server.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Source folders the Dockerfile copies (tests excluded by tsconfig.build.json). */
const SOURCE_DIRS = [
  'autoscaler',
  'gpu-registry',
  'prometheus',
  'knative',
  'exporter',
  'leader',
  'policy',
  'service-model',
  'simulator',
  'local-cluster',
  'cli',
];
const NAMESPACE = 'k-siss-system';

interface LockPackage {
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
}

/** Lockfile paths (`node_modules/...`) an `--omit=dev` install keeps. Pure. */
function productionPackages(lock: { packages: Record<string, LockPackage> }): string[] {
  return Object.entries(lock.packages)
    .filter(
      ([path, entry]) => path.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true,
    )
    .map(([path]) => path);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

describe('production install (what the Dockerfile does)', () => {
  let work: string;
  let app: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'k-siss-prod-'));
    const build = join(work, 'build');
    app = join(work, 'app');
    // 1. Clean copy of the sources and the build tooling; compile with `npm run build`.
    for (const entry of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts/copy-build-assets.mjs',
      ...SOURCE_DIRS,
    ]) {
      cpSync(join(REPO, entry), join(build, entry), {
        recursive: true,
        filter: (source) => !/\.(int\.|e2e\.)?test\.ts$/.test(source),
      });
    }
    symlinkSync(join(REPO, 'node_modules'), join(build, 'node_modules'), 'dir');
    // Compiles and copies the data files (CRD, dashboard, configs) next to the code, as the Dockerfile does.
    run('npm', ['run', 'build', '--silent'], build);
    // 2. Fresh directory: package files, dist/, and only the production dependencies of the lockfile
    //    (`npm ci --omit=dev` semantics, taken from the local install so no registry is contacted).
    cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
    cpSync(join(REPO, 'package-lock.json'), join(app, 'package-lock.json'));
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockPackage>;
    };
    for (const path of productionPackages(lock)) {
      const source = join(REPO, path);
      if (!existsSync(source)) continue; // optional, not for this platform
      cpSync(source, join(app, path), {
        recursive: true,
        // nested node_modules are separate lockfile entries, copied (or omitted) on their own
        filter: (file) => !relative(source, file).split('/').includes('node_modules'),
      });
    }
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    rmSync(work, { recursive: true, force: true });
  }, TEST_TIMEOUT_MS);

  it('the Dockerfile copies every folder that `npm run build` compiles', () => {
    const build = JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\/(\S+)$/gm)]
      .filter((m) => m[1] === m[2])
      .map((m) => m[1]);
    expect(build.include.filter((dir) => !copied.includes(dir))).toEqual([]);
    expect(SOURCE_DIRS.filter((dir) => !copied.includes(dir))).toEqual([]);
  });

  it(
    'has compiled JavaScript and no development dependencies or tests',
    () => {
      expect(existsSync(join(app, 'dist/cli/main.js'))).toBe(true);
      expect(existsSync(join(app, 'dist/exporter/index.js'))).toBe(true);
      expect(existsSync(join(app, 'dist/leader/index.js'))).toBe(true);
      for (const devOnly of ['typescript', 'jest', 'ts-jest', 'eslint', 'prettier', 'tsx']) {
        expect(`${devOnly}: ${existsSync(join(app, 'node_modules', devOnly))}`).toBe(`${devOnly}: false`);
      }
      for (const runtime of [
        '@kubernetes/client-node',
        'prom-client',
        'commander',
        'zod',
        'js-yaml',
        'winston',
      ]) {
        expect(`${runtime}: ${existsSync(join(app, 'node_modules', runtime))}`).toBe(`${runtime}: true`);
      }
      const tests = spawnSync('sh', ['-c', "find dist -name '*.test.js' | head -3"], {
        cwd: app,
        encoding: 'utf8',
      });
      expect(tests.stdout.trim()).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '`node dist/cli/main.js run` starts as the deployed ServiceAccount and serves /healthz, /readyz, /metrics',
    async () => {
      const state = clusterState();
      const admin = kubeConfig();
      await applyManifests(
        admin,
        withNamespaceRbac(
          await readManifests([join(REPO, 'policy/crd.yaml'), join(REPO, 'configuration.yaml')]),
          await readManifests([join(REPO, 'namespace-rbac.yaml')]),
        ),
        {
          fieldManager: 'k-siss-production-install-test',
        },
      );
      const kubeconfigFile = join(work, 'service-account.kubeconfig');
      await writeKubeConfigFile(
        await serviceAccountKubeConfig(admin, { namespace: NAMESPACE, serviceAccount: 'k-siss-autoscaler' }),
        kubeconfigFile,
      );
      const port = await freePort();
      child = spawn(
        process.execPath,
        [
          'dist/cli/main.js',
          'run',
          '--kubeconfig',
          kubeconfigFile,
          '--metrics-port',
          String(port),
          '--leader-elect',
        ],
        {
          cwd: app,
          env: {
            PATH: process.env.PATH,
            NODE_ENV: 'production',
            NAMESPACE,
            POD_NAME: 'production-install-test',
            PROMETHEUS_URL: state.prometheusUrl,
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const base = `http://127.0.0.1:${port}`;
      const status = async (path: string) => {
        try {
          return (await fetch(`${base}${path}`)).status;
        } catch {
          return 0;
        }
      };
      const deadline = Date.now() + 60_000;
      while ((await status('/readyz')) !== 200) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`the controller did not become ready (exit ${child.exitCode}):\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await status('/healthz')).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('ksiss_config_reloads_total{result="success"}');
      expect(metrics).toMatch(/^ksiss_leader [01]$/m);

      child.kill('SIGTERM');
      const exitCode = await new Promise<number | null>((resolve) =>
        child?.once('exit', (code) => resolve(code)),
      );
      expect({ exitCode, output: exitCode === 0 ? '' : output }).toEqual({ exitCode: 0, output: '' });
    },
    TEST_TIMEOUT_MS,
  );
});
