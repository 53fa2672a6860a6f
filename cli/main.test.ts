import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';

// End to end: the real `k-siss` entry point, spawned through tsx, on temporary files.

const MAIN = resolve('cli/main.ts');
const ENV_VARS = ['METRICS_SCRAPE_INTERVAL', 'NAMESPACE', 'IGNORE_LIST', 'CONFIG_MAP_NAME', 'PROMETHEUS_URL'];

function kSiss(args: readonly string[], stdin = ''): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const name of ENV_VARS) delete env[name];
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    input: stdin,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: autoscaler-config
data:
  gpt2: |
    - name: tgi_request_metric
      query: increase(tgi_request_mean_time_per_token_duration_sum{pod="%s"}[1m])/increase(tgi_request_mean_time_per_token_duration_count{pod="%s"}[1m])
      slo: 0.5
      scaleDownFactor: 0.5
      scaleUpFactor: 1.5
  llama-7b: |
    metrics:
      - name: ttft
        query: histogram_quantile(0.9, sum by (le) (rate(ttft_bucket{pod=~"{{podRegex}}"}[1m])))
        slo: 2
        scaleUpFactor: 1.2
        scaleDownFactor: 0.4
    settings:
      maxReplicas: 3
`;

const BAD_DATA_MAP = `gpt2:
  - name: m
    query: q
    slo: -1
    scaleupFactor: 1.5
    scaleDownFactor: 0.5
llama: |
  - name: m
    query: q{x="{{pods}}"}
    slo: 1
    scaleUpFactor: 1.5
    scaleDownFactor: 0.5
`;

let dir: string;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'k-siss-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

jest.setTimeout(120_000);

describe('k-siss validate', () => {
  it.each([
    [
      'a valid ConfigMap manifest',
      () => file('ok.yaml', CONFIG_MAP),
      0,
      'ok: 2 service(s) (gpt2, llama-7b)\n',
    ],
    [
      'a data map with bad blocks: one line per issue',
      () => file('bad.yaml', BAD_DATA_MAP),
      1,
      [
        'gpt2[0].slo = -1: must be > 0',
        'gpt2[0].scaleUpFactor = (missing): required',
        'gpt2[0].scaleupFactor = 1.5: unknown field (did you mean "scaleUpFactor"?)',
        'llama[0].query = "q{x=\\"{{pods}}\\"}": unknown placeholder {{pods}} (known: %s, {{namespace}}, {{service}}, {{revision}}, {{pod}}, {{podRegex}})',
        '',
      ].join('\n'),
    ],
    ['an unreadable file', () => join(dir, 'missing.yaml'), 2, ''],
    ['a file that is not YAML is an invalid config', () => file('broken.yaml', 'a: [\n'), 1, ''],
  ] as const)('%s', (_name, path, code, stdout) => {
    const result = kSiss(['validate', path()]);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe(stdout);
  });

  it('exits 2 on bad usage', () => {
    expect(kSiss(['validate']).code).toBe(2);
  });
});

describe('k-siss explain', () => {
  it('prints the sizing planner: demand, headroom, the target, the runner-up and why it lost', () => {
    const profiled = `${CONFIG_MAP}  _profiles: |
    p:
      mig-1g.10gb: {requestsPerS: 1}
      mig-2g.20gb: {requestsPerS: 2}
      mig-3g.40gb: {requestsPerS: 3.5}
      mig-4g.40gb: {requestsPerS: 4}
      mig-7g.80gb: {requestsPerS: 8}
  sized: |
    metrics:
      - {name: ttft, query: q, slo: 2, scaleUpFactor: 1, scaleDownFactor: 0.4}
    settings: {maxReplicas: 8, sizing: {profile: p}}
`;
    const result = kSiss([
      'explain',
      '--config',
      file('profiled.yaml', profiled),
      '--service',
      'sized',
      '--state',
      '{"tier":"mig-1g.10gb","readyReplicas":1}',
      '--metrics',
      '{"ttft":0.5,"__arrivals0m":1800,"__arrivals1m":1800,"__arrivals30s":900,"__completions1m":60,"__promptTokens1m":60000,"__outputTokens1m":12000}',
      '--capacity',
      '{"nodes":[{"name":"n1","free":{"nvidia.com/mig-7g.80gb":8}}]}',
      '--now',
      '2026-11-23T07:00:00Z',
    ]);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { decision: Record<string, unknown> };
    expect(out.decision).toEqual({
      action: 'up',
      targetTier: 'mig-7g.80gb',
      targetReplicas: 5,
      reason: 'demand',
      message:
        'the demand needs more capacity than runs now: demand 30.0 req/s (30000 prompt + 6000 output tok/s), headroom 10% (floor; arrivals spread 0%); target 5 x mig-7g.80gb (cost 5, capacity 1.33x demand); runner-up 33 x mig-1g.10gb (cost 4.714, capacity 1.10x demand), lost: needs 33 replicas, above maxReplicas 8; now 1 x mig-1g.10gb (cost 0.143, capacity 0.03x demand)',
    });
  });

  it('prints the decision with its reason and signals', () => {
    const result = kSiss([
      'explain',
      '--config',
      file('cm.yaml', CONFIG_MAP),
      '--service',
      'gpt2',
      '--state',
      '{"tier":"mig-1g.10gb","readyReplicas":1}',
      '--metrics',
      '{"tgi_request_metric":0.9}',
      '--capacity',
      '{"nodes":[{"name":"n1","free":{"nvidia.com/mig-2g.20gb":1}}]}',
      '--now',
      '2026-11-23T07:00:00Z',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      service: 'gpt2',
      nowMs: Date.parse('2026-11-23T07:00:00Z'),
      decision: {
        action: 'up',
        targetTier: 'mig-2g.20gb',
        reason: 'sloPressure',
        message:
          'sloPressure: tgi_request_metric = 0.9 > 0.75: up from mig-1g.10gb to mig-2g.20gb (sizing: no demand data (arrivals, completions, prompt tokens, output tokens); ladder step instead)',
      },
      recommendation: { atMs: Date.parse('2026-11-23T07:00:00Z'), tier: 'mig-2g.20gb', replicas: 1 },
      signals: [
        {
          name: 'tgi_request_metric',
          value: 0.9,
          direction: 'lowerIsBetter',
          upThreshold: 0.75,
          downThreshold: 0.25,
          state: 'pressure',
        },
      ],
    });
  });

  it('names the field of a bad --state and exits 2', () => {
    const result = kSiss([
      'explain',
      '--config',
      file('cm2.yaml', CONFIG_MAP),
      '--service',
      'gpt2',
      '--state',
      '{"tier":"mig-1g.10gb","readyReplicas":"two"}',
      '--metrics',
      '{}',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('--state.readyReplicas = "two": must be a number\n');
  });
});

describe('k-siss decide', () => {
  it('writes one decision line per input line, and an error line naming the line and field', () => {
    const lines = [
      '{"service":"gpt2","state":{"tier":"mig-2g.20gb","readyReplicas":2,"recommendations":[{"atMs":100000,"tier":"mig-2g.20gb","replicas":1}]},"metrics":{"tgi_request_metric":0.1},"now":1000000}',
      '{"service":"llama-7b","state":{"tier":"mig-3g.40gb","readyReplicas":1},"metrics":{"ttft":null},"now":"2026-11-23T07:00:00Z"}',
      '{"service":"gpt2","state":{"tier":"mig-2g.20gb","readyReplicas":1},"metrics":{"tgi_request_metric":"fast"},"now":1000}',
    ];
    const result = kSiss(['decide', '--config', file('cm3.yaml', CONFIG_MAP)], `${lines.join('\n')}\n`);
    expect(result.code).toBe(1);
    const out = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({
      line: 1,
      service: 'gpt2',
      nowMs: 1000000,
      decision: { action: 'in', targetReplicas: 1, reason: 'slack' },
    });
    expect(out[1]).toMatchObject({
      line: 2,
      service: 'llama-7b',
      decision: { action: 'hold', reason: 'noData' },
      signals: [{ name: 'ttft', value: null, state: 'noData' }],
    });
    expect(out[2]).toEqual({
      line: 3,
      error: 'metrics.tgi_request_metric = "fast": must be a number, null (no data), "NaN", "+Inf" or "-Inf"',
    });
  });
});

/** The real binary with a stdin written in 1 MiB chunks (never held whole by the test). */
async function kSissStreaming(
  args: readonly string[],
  write: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of ENV_VARS) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  // The child may stop reading early (a too-large file): its closed stdin is not an error here.
  child.stdin.on('error', () => undefined);
  await write(child.stdin).catch(() => undefined);
  child.stdin.end();
  const [code] = (await exited) as [number | null];
  return { code, stdout, stderr };
}

async function writeAll(stdin: NodeJS.WritableStream, chunks: Iterable<string | Buffer>): Promise<void> {
  for (const chunk of chunks) {
    if (!stdin.write(chunk)) await once(stdin, 'drain');
  }
}

describe('bounded inputs (issue 14)', () => {
  it('validate /dev/stdin refuses more than 2 MiB with exit 2, without reading it all', async () => {
    const result = await kSissStreaming(['validate', '/dev/stdin'], (stdin) =>
      writeAll(stdin, Array(64).fill(Buffer.alloc(1024 * 1024, 'x'))),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('/dev/stdin: cannot read: larger than the 2 MiB (2097152 bytes) allowed\n');
  });

  it('decide goes on after a 600 MB line and a 100k-deep line, naming their line numbers', async () => {
    const good =
      '{"service":"gpt2","state":{"tier":"mig-2g.20gb","readyReplicas":1},"metrics":{"tgi_request_metric":1}}\n';
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const result = await kSissStreaming(
      ['decide', '--config', file('cm-bounded.yaml', CONFIG_MAP)],
      (stdin) =>
        writeAll(stdin, [
          good,
          '{"service":"',
          ...Array<Buffer>(600).fill(chunk),
          '"}\n',
          `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
          good,
        ]),
    );
    expect(result.code).toBe(1);
    const out = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(out).toEqual([
      expect.objectContaining({ line: 1, service: 'gpt2' }),
      { line: 2, error: 'line is 629145614 bytes, more than the 1 MiB (1048576 bytes) allowed' },
      { line: 3, error: 'nested deeper than 64 levels' },
      expect.objectContaining({ line: 4, service: 'gpt2' }),
    ]);
  });

  it('simulate --model refuses a recursive alias with exit 2', () => {
    const model = file('model.yaml', '&m {name: m, self: *m}\n');
    const trace = file('t.jsonl', '{"timestamp":0,"input_length":10,"output_length":10}\n');
    const result = kSiss(['simulate', '--trace', trace, '--model', model, '--policy', 'static-peak']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `k-siss simulate: --model ${model}: recursive YAML alias: a value contains itself\n`,
    );
  });
});
