import { runCli, type CliIo } from './program.js';

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
};

async function run(argv: readonly string[], stdin: readonly string[] = []) {
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

  it('unknown commands are bad usage', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});
