import { runCli, type CliIo } from './program.js';
import type { BoundedLine } from './bounded-read.js';
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';

// The commands in-process, with their files and streams given as data (main.test.ts spawns the real binary).

const FILES: Readonly<Record<string, string>> = {
  'cm.yaml': `gpt2: |
  - name: latency
    query: q{pod="%s"}
    slo: 1
    scaleUpFactor: 1.5
    scaleDownFactor: 0.5
broken: |
  - name: latency
    query: q
    slo: 0
    scaleUpFactor: 1.5
    scaleDownFactor: 0.5
`,
  'unusable.yaml': `_global: |
  intervalSeconds: -5
gpt2: |
  - {name: m, query: q, slo: 1, scaleUpFactor: 2, scaleDownFactor: 1}
`,
  'list.yaml': '- a\n- b\n',
  'secret.yaml':
    'apiVersion: v1\nkind: Secret\nmetadata: {name: autoscaler-config}\ndata: {token: czNjcmV0}\n',
  'list-data.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: autoscaler-config}\ndata: [gpt2]\n',
  'headerless.yaml':
    'data:\n  gpt2: |\n    - {name: m, query: q, slo: 1, scaleUpFactor: 2, scaleDownFactor: 1}\n',
  'recursive.yaml': `ttft: |\n${RECURSIVE_ALIAS_BLOCK.replace(/^/gm, '  ')}`,
  'recursive-plain.yaml': `ttft:\n${RECURSIVE_ALIAS_BLOCK.replace(/^/gm, '  ')}`,
  'bomb.yaml': `bomb: |\n${aliasBomb('  ')}`,
};

async function run(argv: readonly string[], stdin: readonly BoundedLine[] = []) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readText: (path) => {
      const text = FILES[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    stdinLines: async function* () {
      yield* stdin;
    },
    env: {},
    nowMs: () => 1_800_000_000_000,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const STATE = '{"tier":"mig-1g.10gb","readyReplicas":1}';

describe('k-siss commands', () => {
  it.each([
    [
      'validate: an unusable _global',
      ['validate', 'unusable.yaml'],
      1,
      '_global.intervalSeconds = -5: must be > 0\n',
      'unusable.yaml: the config is unusable; the controller would keep its last good config\n',
    ],
    [
      'validate: a YAML list is neither a ConfigMap nor a data map',
      ['validate', 'list.yaml'],
      1,
      '',
      'list.yaml: not a ConfigMap manifest nor a data map (a YAML object of key: value)\n',
    ],
    [
      'explain: a service whose block is invalid',
      ['explain', '--config', 'cm.yaml', '--service', 'broken', '--state', STATE, '--metrics', '{}'],
      1,
      '',
      'broken[0].slo = 0: must be > 0\n--service = "broken": its config block is invalid (see above)\n',
    ],
    [
      'explain: a service not in the config',
      ['explain', '--config', 'cm.yaml', '--service', 'nope', '--state', STATE, '--metrics', '{}'],
      2,
      '',
      '--service = "nope": not in the config (services: gpt2)\n',
    ],
    [
      'explain: invalid JSON',
      ['explain', '--config', 'cm.yaml', '--service', 'gpt2', '--state', '{tier:', '--metrics', '{}'],
      2,
      '',
      `--state: invalid JSON: Expected property name or '}' in JSON at position 1\n`,
    ],
    [
      'explain: a bad --now',
      [
        'explain',
        '--config',
        'cm.yaml',
        '--service',
        'gpt2',
        '--state',
        STATE,
        '--metrics',
        '{}',
        '--now',
        'soon',
      ],
      2,
      '',
      '--now = "soon": must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z)\n',
    ],
    [
      'explain: a misspelt state field',
      [
        'explain',
        '--config',
        'cm.yaml',
        '--service',
        'gpt2',
        '--state',
        '{"tier":"mig-1g.10gb","readyReplica":1}',
        '--metrics',
        '{}',
      ],
      2,
      '',
      '--state.readyReplicas = (missing): required\n--state.readyReplica = 1: unknown field (did you mean "readyReplicas"?)\n',
    ],
  ] as const)('%s', async (_name, argv, code, stdout, stderr) => {
    const result = await run(argv);
    expect(result).toEqual({ code, stdout, stderr });
  });

  it('explain uses the clock when --now is not given and every tier when --capacity is not given', async () => {
    const result = await run([
      'explain',
      '--config',
      'cm.yaml',
      '--service',
      'gpt2',
      '--state',
      STATE,
      '--metrics',
      '{"latency":"+Inf"}',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      nowMs: 1_800_000_000_000,
      decision: { action: 'up', targetTier: 'mig-2g.20gb' },
      signals: [{ name: 'latency', value: '+Inf', state: 'pressure' }],
    });
  });

  it('decide: skips blank lines, reports unknown fields and a missing service', async () => {
    const result = await run(
      ['decide', '--config', 'cm.yaml'],
      [
        '',
        '{"service":"gpt2","state":{"tier":"mig-1g.10gb","readyReplicas":1},"metrics":{"latency":1}}',
        '{"svc":"gpt2"}',
        '{"state":{}}',
        '[1]',
      ],
    );
    expect(result.code).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        line: 2,
        service: 'gpt2',
        decision: expect.objectContaining({ reason: 'withinBand' }),
      }),
      { line: 3, error: 'svc = "gpt2": unknown field (known: service, state, metrics, capacity, now)' },
      { line: 4, error: 'service = (missing): must be a string' },
      { line: 5, error: 'must be a JSON object {service, state, metrics, capacity, now}' },
    ]);
  });

  it('decide: an unusable config exits 1 before reading input', async () => {
    const result = await run(['decide', '--config', 'unusable.yaml'], ['{}']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        '_global.intervalSeconds = -5: must be > 0\nunusable.yaml: the config is unusable (see above)\n',
    });
  });

  const explainNow = (now: string): string[] => [
    'explain',
    '--config',
    'cm.yaml',
    '--service',
    'gpt2',
    '--state',
    STATE,
    '--metrics',
    '{}',
    '--now',
    now,
  ];
  it.each([
    {
      name: 'validate: a recursive alias in a block',
      argv: ['validate', 'recursive.yaml'],
      code: 1,
      stdout: /^ttft = "- &x\\n {2}name: ttft.*": recursive YAML alias: a value contains itself\n$/,
      stderr: '',
    },
    {
      name: 'validate: a recursive alias in the file itself',
      argv: ['validate', 'recursive-plain.yaml'],
      code: 1,
      stdout: '',
      stderr: 'recursive-plain.yaml: recursive YAML alias: a value contains itself\n',
    },
    {
      name: 'validate: an alias bomb',
      argv: ['validate', 'bomb.yaml'],
      code: 1,
      stdout:
        /^bomb = ".*": YAML aliases expand the document to more than 100000 values \(an alias bomb\?\)\n$/,
      stderr: '',
    },
    {
      name: 'validate: a Secret',
      argv: ['validate', 'secret.yaml'],
      code: 1,
      stdout: '',
      stderr:
        'secret.yaml: kind = "Secret": not a ConfigMap (give the autoscaler\'s ConfigMap manifest or its data map)\n',
    },
    {
      name: 'validate: a ConfigMap whose data is a list',
      argv: ['validate', 'list-data.yaml'],
      code: 1,
      stdout: '',
      stderr: 'list-data.yaml: data = ["gpt2"]: must be a map of key: text\n',
    },
    {
      name: 'validate: only data: (a ConfigMap without its header)',
      argv: ['validate', 'headerless.yaml'],
      code: 1,
      stdout: '',
      stderr:
        'headerless.yaml: data: a ConfigMap without its header (add apiVersion: v1 and kind: ConfigMap), or give the data map alone\n',
    },
    {
      name: 'explain: --now 2026-02-31 does not roll over',
      argv: explainNow('2026-02-31'),
      code: 2,
      stdout: '',
      stderr: '--now = "2026-02-31": is not a real date\n',
    },
    {
      name: 'explain: --now -5',
      argv: explainNow('-5'),
      code: 2,
      stdout: '',
      stderr: '--now = "-5": must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z)\n',
    },
    {
      name: 'explain: --now 2026',
      argv: explainNow('2026'),
      code: 2,
      stdout: '',
      stderr:
        '--now = "2026": is ambiguous (a year? seconds?): give ms since the epoch (13 digits today) or an ISO time\n',
    },
    {
      name: 'explain: --now beyond a Date',
      argv: explainNow('9999999999999999'),
      code: 2,
      stdout: '',
      stderr: '--now = "9999999999999999": is beyond the latest time a date can hold\n',
    },
    {
      name: 'explain: fractional free capacity',
      argv: [
        ...explainNow('2026-11-23T07:00:00Z'),
        '--capacity',
        '{"nodes":[{"name":"n","free":{"nvidia.com/mig-2g.20gb":0.5}}]}',
      ],
      code: 2,
      stdout: '',
      stderr: '--capacity.nodes[0].free.nvidia.com/mig-2g.20gb = 0.5: must be a whole number of units\n',
    },
    {
      name: 'run: a bad --namespace is blamed on the flag',
      argv: ['run', '--namespace', 'Bad_NS'],
      code: 2,
      stdout: '',
      stderr: /--namespace = "Bad_NS": must be a DNS label/,
    },
    {
      name: 'run: a bad --metrics-host exits 2',
      argv: ['run', '--metrics-host', '999.1.1.1'],
      code: 2,
      stdout: '',
      stderr: /--metrics-host = "999.1.1.1": must be an IP address/,
    },
    {
      name: 'run: a hex --metrics-port',
      argv: ['run', '--metrics-port', '0x10'],
      code: 2,
      stdout: '',
      stderr: /--metrics-port = "0x10": must be a whole number >= 0 and <= 65535, in decimal/,
    },
    {
      name: 'run: an --interval-seconds the timer cannot hold',
      argv: ['run', '--interval-seconds', '1e12'],
      code: 2,
      stdout: '',
      stderr: /--interval-seconds = "1e12": must be a number > 0 and <= 2147483, in decimal/,
    },
  ])('$name', async ({ argv, code, stdout, stderr }) => {
    const result = await run(argv);
    expect(result.code).toBe(code);
    if (typeof stdout === 'string') expect(result.stdout).toBe(stdout);
    else expect(result.stdout).toMatch(stdout);
    if (typeof stderr === 'string') expect(result.stderr).toBe(stderr);
    else expect(result.stderr).toMatch(stderr);
  });

  it('decide: a 100k-deep line and an over-long line are reported by number; the next lines are decided', async () => {
    const good =
      '{"service":"gpt2","state":{"tier":"mig-1g.10gb","readyReplicas":1},"metrics":{"latency":1}}';
    const result = await run(
      ['decide', '--config', 'cm.yaml'],
      [
        `{"service":"gpt2","state":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        good,
        { tooLongBytes: 600_000_000 },
        good,
        '{"service":"gpt2","state":{"tier":"mig-1g.10gb","readyReplicas":1},"metrics":{},"capacity":{"nodes":[{"name":"n","free":{"nvidia.com/gpu":0.5}}]}}',
      ],
    );
    expect(result.code).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { line: 1, error: 'nested deeper than 64 levels' },
      expect.objectContaining({ line: 2, service: 'gpt2' }),
      { line: 3, error: 'line is 600000000 bytes, more than the 1 MiB (1048576 bytes) allowed' },
      expect.objectContaining({ line: 4, service: 'gpt2' }),
      { line: 5, error: 'capacity.nodes[0].free.nvidia.com/gpu = 0.5: must be a whole number of units' },
    ]);
  });

  it('unknown commands are bad usage', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});
