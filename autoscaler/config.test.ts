import {
  DEFAULT_SIZING_SETTINGS,
  formatIssue,
  formatValue,
  isIgnored,
  normalisePrometheusUrl,
  parseConfig,
  unknownPlaceholders,
} from './config.js';
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';

const QUERY = 'increase(tgi_request_mean_time_per_token_duration_sum{pod="%s"}[1m])';

/** A metric block in the original format, with fields overridden or removed (`undefined`). */
function metric(overrides: Record<string, unknown> = {}): string {
  const fields: Record<string, unknown> = {
    name: 'tgi_request_metric',
    query: QUERY,
    slo: 0.5,
    scaleDownFactor: 0.5,
    scaleUpFactor: 1.5,
    ...overrides,
  };
  const lines = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value], index) => `${index === 0 ? '- ' : '  '}${key}: ${JSON.stringify(value)}`);
  return lines.join('\n');
}

/** An object-form service block with the given settings (as YAML flow text). */
function withSettings(settings: string): string {
  return `metrics:\n${metric()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}\nsettings: ${settings}\n`;
}

interface BadCase {
  readonly name: string;
  readonly data: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly lines: readonly string[];
  /** Whether the document stays usable (only service blocks were bad). */
  readonly usable: boolean;
}

const BAD_CASES: readonly BadCase[] = [
  {
    name: 'negative slo',
    data: { gpt2: metric({ slo: -1 }) },
    lines: ['gpt2[0].slo = -1: must be > 0'],
    usable: true,
  },
  {
    name: 'zero slo',
    data: { gpt2: metric({ slo: 0 }) },
    lines: ['gpt2[0].slo = 0: must be > 0'],
    usable: true,
  },
  {
    name: 'missing scaleUpFactor (the original made it 0)',
    data: { gpt2: metric({ scaleUpFactor: undefined }) },
    lines: ['gpt2[0].scaleUpFactor = (missing): required'],
    usable: true,
  },
  {
    name: 'missing scaleDownFactor',
    data: { gpt2: metric({ scaleDownFactor: undefined }) },
    lines: ['gpt2[0].scaleDownFactor = (missing): required'],
    usable: true,
  },
  {
    name: 'zero factor',
    data: { gpt2: metric({ scaleDownFactor: 0 }) },
    lines: ['gpt2[0].scaleDownFactor = 0: must be > 0'],
    usable: true,
  },
  {
    name: 'factor as a string',
    data: { gpt2: metric({ scaleUpFactor: '1.5' }) },
    lines: ['gpt2[0].scaleUpFactor = "1.5": must be a number, not a quoted string'],
    usable: true,
  },
  {
    name: 'slo .nan',
    data: { gpt2: '- name: m\n  query: q\n  slo: .nan\n  scaleUpFactor: 1.5\n  scaleDownFactor: 0.5\n' },
    lines: ['gpt2[0].slo = NaN: must be a finite number'],
    usable: true,
  },
  {
    name: 'factors in the wrong order (lowerIsBetter)',
    data: { gpt2: metric({ scaleUpFactor: 0.5, scaleDownFactor: 1.5 }) },
    lines: ['gpt2[0].scaleDownFactor = 1.5: must be < scaleUpFactor (0.5) when direction is lowerIsBetter'],
    usable: true,
  },
  {
    name: 'equal factors',
    data: { gpt2: metric({ scaleUpFactor: 1, scaleDownFactor: 1 }) },
    lines: ['gpt2[0].scaleDownFactor = 1: must be < scaleUpFactor (1) when direction is lowerIsBetter'],
    usable: true,
  },
  {
    name: 'factors in the wrong order (higherIsBetter)',
    data: { gpt2: metric({ direction: 'higherIsBetter' }) },
    lines: ['gpt2[0].scaleDownFactor = 0.5: must be > scaleUpFactor (1.5) when direction is higherIsBetter'],
    usable: true,
  },
  {
    name: 'misspelt scaleupFactor',
    data: { gpt2: metric({ scaleUpFactor: undefined, scaleupFactor: 1.5 }) },
    lines: [
      'gpt2[0].scaleUpFactor = (missing): required',
      'gpt2[0].scaleupFactor = 1.5: unknown field (did you mean "scaleUpFactor"?)',
    ],
    usable: true,
  },
  {
    name: 'unknown field far from any known',
    data: { gpt2: metric({ weight: 2 }) },
    lines: [
      'gpt2[0].weight = 2: unknown field (known: name, query, slo, scaleUpFactor, scaleDownFactor, direction, aggregate)',
    ],
    usable: true,
  },
  {
    name: 'bad direction',
    data: { gpt2: metric({ direction: 'up' }) },
    lines: ['gpt2[0].direction = "up": must be one of lowerIsBetter, higherIsBetter'],
    usable: true,
  },
  {
    name: 'bad aggregate',
    data: { gpt2: metric({ aggregate: 'median' }) },
    lines: ['gpt2[0].aggregate = "median": must be one of max, avg, sum'],
    usable: true,
  },
  {
    name: 'unknown placeholder',
    data: { gpt2: metric({ query: 'rate(x{pod=~"{{pods}}"}[1m])' }) },
    lines: [
      'gpt2[0].query = "rate(x{pod=~\\"{{pods}}\\"}[1m])": unknown placeholder {{pods}} (known: %s, {{namespace}}, {{service}}, {{revision}}, {{pod}}, {{podRegex}})',
    ],
    usable: true,
  },
  {
    name: 'empty query',
    data: { gpt2: metric({ query: '' }) },
    lines: ['gpt2[0].query = "": must not be empty'],
    usable: true,
  },
  {
    name: 'missing name',
    data: { gpt2: metric({ name: undefined }) },
    lines: ['gpt2[0].name = (missing): required'],
    usable: true,
  },
  {
    name: 'duplicate metric names',
    data: { gpt2: `${metric()}\n${metric()}` },
    lines: ['gpt2[1].name = "tgi_request_metric": duplicate metric name (also at [0])'],
    usable: true,
  },
  {
    name: 'reserved metric name',
    data: { gpt2: metric({ name: '__requestRate' }) },
    lines: ['gpt2[0].name = "__requestRate": names starting with __ are reserved'],
    usable: true,
  },
  {
    name: 'empty metric list',
    data: { gpt2: '[]' },
    lines: ['gpt2 = []: must list at least one metric'],
    usable: true,
  },
  {
    name: 'scalar value',
    data: { gpt2: 'hello' },
    lines: ['gpt2 = "hello": must be a YAML list of metrics, or an object with metrics and settings'],
    usable: true,
  },
  {
    name: 'invalid YAML',
    data: { gpt2: '- name: [a' },
    lines: [
      'gpt2 = "- name: [a": invalid YAML: unexpected end of the stream within a flow collection (1:11)',
    ],
    usable: true,
  },
  {
    name: 'key that is not a service name',
    data: { GPT_2: metric() },
    lines: [
      'GPT_2 = "GPT_2": key must be a Knative Service name (lower-case letters, digits and dashes, starting with a letter)',
    ],
    usable: true,
  },
  {
    name: 'unknown reserved key',
    data: { _globals: 'intervalSeconds: 5' },
    lines: ['_globals = [redacted]: unknown reserved key (reserved keys: _global, _tiers, _profiles)'],
    usable: true,
  },
  {
    name: 'object form with a misspelt top-level key',
    data: { gpt2: `metric:\n${metric()}` },
    lines: [
      'gpt2.metrics = (missing): must be a list of metrics',
      'gpt2.metric = [{"name":"tgi_request_metric","query":"increase(tgi_request_mean_time_per_tok...: unknown field (did you mean "metrics"?)',
    ],
    usable: true,
  },
  {
    name: 'ladder tier not in the catalog',
    data: { gpt2: withSettings('{ladder: [mig-1g.10gb, mig-9g.90gb]}') },
    lines: [
      'gpt2.settings.ladder[1] = "mig-9g.90gb": unknown tier (not in the catalog; add it under _tiers)',
    ],
    usable: true,
  },
  {
    name: 'ladder not smallest first',
    data: { gpt2: withSettings('{ladder: [mig-2g.20gb, mig-1g.10gb]}') },
    lines: [
      'gpt2.settings.ladder[1] = "mig-1g.10gb": must not be smaller than the tier before it (mig-2g.20gb): ladders go smallest first',
    ],
    usable: true,
  },
  {
    name: 'ladder tier listed twice',
    data: { gpt2: withSettings('{ladder: [mig-1g.10gb, mig-1g.10gb]}') },
    lines: ['gpt2.settings.ladder[1] = "mig-1g.10gb": listed twice'],
    usable: true,
  },
  {
    name: 'minTier not on the ladder',
    data: { gpt2: withSettings('{minTier: gpu}') },
    lines: [
      'gpt2.settings.minTier = "gpu": must be one of the ladder\'s tiers (mig-1g.10gb, mig-2g.20gb, mig-3g.40gb, mig-4g.40gb, mig-7g.80gb)',
    ],
    usable: true,
  },
  {
    name: 'maxTier below minTier',
    data: { gpt2: withSettings('{minTier: mig-3g.40gb, maxTier: mig-2g.20gb}') },
    lines: ['gpt2.settings.maxTier = "mig-2g.20gb": must not be below minTier (mig-3g.40gb) on the ladder'],
    usable: true,
  },
  {
    name: 'minReplicas above maxReplicas',
    data: { gpt2: withSettings('{minReplicas: 3, maxReplicas: 2}') },
    lines: ['gpt2.settings.maxReplicas = 2: must be >= minReplicas (3)'],
    usable: true,
  },
  {
    name: 'minReplicas 0',
    data: { gpt2: withSettings('{minReplicas: 0}') },
    lines: ['gpt2.settings.minReplicas = 0: must be >= 1'],
    usable: true,
  },
  {
    name: 'fractional replicas',
    data: { gpt2: withSettings('{maxReplicas: 2.5}') },
    lines: ['gpt2.settings.maxReplicas = 2.5: must be a whole number'],
    usable: true,
  },
  {
    name: 'negative cooldown',
    data: { gpt2: withSettings('{cooldownSeconds: -5}') },
    lines: ['gpt2.settings.cooldownSeconds = -5: must be >= 0'],
    usable: true,
  },
  {
    name: 'bad policy',
    data: { gpt2: withSettings('{policy: hpa}') },
    lines: ['gpt2.settings.policy = "hpa": must be one of size, step, ksiss-original'],
    usable: true,
  },
  {
    name: 'dryRun not a boolean',
    data: { gpt2: withSettings('{dryRun: "yes"}') },
    lines: ['gpt2.settings.dryRun = "yes": must be true or false'],
    usable: true,
  },
  {
    name: 'misspelt settings field',
    data: { gpt2: withSettings('{cooldownSecond: 30}') },
    lines: ['gpt2.settings.cooldownSecond = 30: unknown field (did you mean "cooldownSeconds"?)'],
    usable: true,
  },
  {
    name: 'traffic steps not increasing',
    data: { gpt2: withSettings('{migration: {trafficSteps: [50, 20, 100]}}') },
    lines: ['gpt2.settings.migration.trafficSteps[1] = 20: must be greater than the step before it (50)'],
    usable: true,
  },
  {
    name: 'traffic steps not ending at 100',
    data: { gpt2: withSettings('{migration: {trafficSteps: [10, 50]}}') },
    lines: ['gpt2.settings.migration.trafficSteps = [10,50]: must end at 100'],
    usable: true,
  },
  {
    name: 'traffic step above 100',
    data: { gpt2: withSettings('{migration: {trafficSteps: [50, 150]}}') },
    lines: ['gpt2.settings.migration.trafficSteps[1] = 150: must be between 1 and 100'],
    usable: true,
  },
  {
    name: 'misspelt migration field',
    data: { gpt2: withSettings('{migration: {drainSecs: 10}}') },
    lines: ['gpt2.settings.migration.drainSecs = 10: unknown field (did you mean "drainSeconds"?)'],
    usable: true,
  },
  {
    name: 'idle without a query',
    data: { gpt2: withSettings('{idle: {afterSeconds: 60}}') },
    lines: ['gpt2.settings.idle.requestRateQuery = (missing): required'],
    usable: true,
  },
  {
    name: 'idle query with an unknown placeholder',
    data: { gpt2: withSettings('{idle: {requestRateQuery: "sum(rate(r{svc=\\"{{svc}}\\"}[1m]))"}}') },
    lines: [
      'gpt2.settings.idle.requestRateQuery = "sum(rate(r{svc=\\"{{svc}}\\"}[1m]))": unknown placeholder {{svc}} (known: %s, {{namespace}}, {{service}}, {{revision}}, {{pod}}, {{podRegex}})',
    ],
    usable: true,
  },
  {
    name: 'load growth without a query',
    data: { gpt2: withSettings('{loadGrowth: {maxStepFactor: 2}}') },
    lines: ['gpt2.settings.loadGrowth.arrivalsQuery = (missing): required'],
    usable: true,
  },
  {
    name: 'load growth step factor below 1',
    data: { gpt2: withSettings('{loadGrowth: {arrivalsQuery: "a", maxStepFactor: 0.5}}') },
    lines: ['gpt2.settings.loadGrowth.maxStepFactor = 0.5: must be >= 1'],
    usable: true,
  },
  {
    name: 'load growth with the former `query` field (a growth factor, replaced by arrivalsQuery)',
    data: { gpt2: withSettings('{loadGrowth: {query: "g"}}') },
    lines: [
      'gpt2.settings.loadGrowth.arrivalsQuery = (missing): required',
      'gpt2.settings.loadGrowth.query = "g": unknown field (known: arrivalsQuery, maxStepFactor)',
    ],
    usable: true,
  },
  {
    name: 'misspelt load growth field',
    data: { gpt2: withSettings('{loadGrowth: {arrivalsQuery: "a", maxStep: 2}}') },
    lines: ['gpt2.settings.loadGrowth.maxStep = 2: unknown field (known: arrivalsQuery, maxStepFactor)'],
    usable: true,
  },
  {
    name: 'service namespace not watched',
    data: { gpt2: withSettings('{namespace: other}') },
    lines: ['gpt2.settings.namespace = "other": is not watched (namespaces: default)'],
    usable: true,
  },
  {
    name: '_global with a bad interval',
    data: { _global: 'intervalSeconds: 0', gpt2: metric() },
    lines: ['_global.intervalSeconds = 0: must be > 0'],
    usable: false,
  },
  {
    name: '_global with a misspelt field',
    data: { _global: 'prometheusURL: http://127.0.0.1:9090', gpt2: metric() },
    lines: ['_global.prometheusURL = [redacted]: unknown field (did you mean "prometheusUrl"?)'],
    usable: false,
  },
  {
    name: '_global with a bad URL',
    data: { _global: 'prometheusUrl: ftp://x', gpt2: metric() },
    lines: ['_global.prometheusUrl = "ftp://x": must be an http(s) URL'],
    usable: false,
  },
  {
    name: '_global that is a list',
    data: { _global: '- a', gpt2: metric() },
    lines: ['_global = [redacted]: must be a YAML object of global settings'],
    usable: false,
  },
  {
    name: '_tiers entry for a new tier missing fields',
    data: {
      _tiers: '- name: mig-1g.12gb\n  resource: nvidia.com/mig-1g.12gb\n  kind: mig\n',
      gpt2: metric(),
    },
    lines: [
      '_tiers[0].computeFraction = (missing): required for a new tier (mig-1g.12gb is not in the default catalog)',
      '_tiers[0].memoryGb = (missing): required for a new tier (mig-1g.12gb is not in the default catalog)',
      '_tiers[0].memoryBandwidthFraction = (missing): required for a new tier (mig-1g.12gb is not in the default catalog)',
      '_tiers[0].relativeCost = (missing): required for a new tier (mig-1g.12gb is not in the default catalog)',
      '_tiers[0].gpuModel = (missing): required for a new tier (mig-1g.12gb is not in the default catalog)',
    ],
    usable: false,
  },
  {
    name: '_tiers with a bad kind',
    data: { _tiers: '- name: gpu\n  kind: tpu\n', gpt2: metric() },
    lines: ['_tiers[0].kind = "tpu": must be one of mig, mps, gpu'],
    usable: false,
  },
  {
    name: '_tiers not a list',
    data: { _tiers: 'gpu: {relativeCost: 2}', gpt2: metric() },
    lines: ['_tiers = {"gpu":{"relativeCost":2}}: must be a YAML list of tiers'],
    usable: false,
  },
  {
    name: 'bad METRICS_SCRAPE_INTERVAL',
    data: { gpt2: metric() },
    env: { METRICS_SCRAPE_INTERVAL: 'ten' },
    lines: ['env.METRICS_SCRAPE_INTERVAL = "ten": must be a number > 0, in decimal'],
    usable: false,
  },
  {
    name: 'bad PROMETHEUS_URL',
    data: { gpt2: metric() },
    env: { PROMETHEUS_URL: 'prometheus:9090' },
    lines: ['env.PROMETHEUS_URL = "prometheus:9090": must be an http(s) URL'],
    usable: false,
  },
  {
    name: 'bad NAMESPACE',
    data: { gpt2: metric() },
    env: { NAMESPACE: 'My_NS' },
    lines: ['env.NAMESPACE = "My_NS": must be a DNS label (lower-case letters, digits and dashes)'],
    usable: false,
  },
];

describe('parseConfig: bad configs', () => {
  it.each(BAD_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parseConfig(c.data, c.env ?? {});
    expect(result.issues.map(formatIssue)).toEqual(c.lines);
    if (c.usable) {
      expect(result.config).toBeDefined();
      expect(result.config?.issues.map(formatIssue)).toEqual(c.lines);
    } else {
      expect(result.config).toBeUndefined();
    }
  });

  it('has at least 30 cases', () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(30);
  });
});

describe('parseConfig: good configs', () => {
  it('parses the original format with defaults, keeping dashed names whole', () => {
    const result = parseConfig({ 'gpt2-large': metric(), 'gpt2-small': metric() }, {});
    expect(result.issues).toEqual([]);
    const config = result.config;
    expect([...(config?.services.keys() ?? [])]).toEqual(['gpt2-large', 'gpt2-small']);
    const service = config?.services.get('gpt2-large');
    expect(service?.metrics).toEqual([
      {
        name: 'tgi_request_metric',
        query: QUERY,
        slo: 0.5,
        scaleDownFactor: 0.5,
        scaleUpFactor: 1.5,
        direction: 'lowerIsBetter',
        aggregate: 'max',
      },
    ]);
    expect(service?.settings).toEqual({
      policy: 'size',
      ladder: ['mig-1g.10gb', 'mig-2g.20gb', 'mig-3g.40gb', 'mig-4g.40gb', 'mig-7g.80gb'],
      ladderDefaulted: true,
      minReplicas: 1,
      maxReplicas: 4,
      scaleUpStabilizationSeconds: 0,
      scaleDownStabilizationSeconds: 300,
      cooldownSeconds: 75,
      sizing: DEFAULT_SIZING_SETTINGS,
      dryRun: false,
      migration: {
        readyTimeoutSeconds: 300,
        drainSeconds: 30,
        trafficSteps: [100],
        stepPauseSeconds: 30,
        tierBackoffSeconds: 600,
      },
    });
  });

  it('parses the object form with settings', () => {
    const result = parseConfig(
      {
        llama: withSettings(
          '{policy: ksiss-original, ladder: [gpu-10gb, gpu-20gb, gpu], minTier: gpu-20gb, minReplicas: 6, dryRun: true, idle: {requestRateQuery: "sum(rate(r{service=\\"{{service}}\\"}[1m]))"}, migration: {trafficSteps: [10, 50, 100]}}',
        ),
      },
      {},
    );
    expect(result.issues).toEqual([]);
    const settings = result.config?.services.get('llama')?.settings;
    expect(settings).toMatchObject({
      policy: 'ksiss-original',
      ladder: ['gpu-10gb', 'gpu-20gb', 'gpu'],
      minTier: 'gpu-20gb',
      minReplicas: 6,
      maxReplicas: 6,
      dryRun: true,
      idle: { requestRateQuery: 'sum(rate(r{service="{{service}}"}[1m]))', afterSeconds: 300 },
      migration: { trafficSteps: [10, 50, 100], drainSeconds: 30 },
    });
  });

  it('keeps the other services when one block is invalid', () => {
    const result = parseConfig({ bad: metric({ slo: -1 }), good: metric() }, {});
    expect([...(result.config?.services.keys() ?? [])]).toEqual(['good']);
    expect(result.issues.map(formatIssue)).toEqual(['bad[0].slo = -1: must be > 0']);
  });

  it('applies precedence _global over environment over defaults', () => {
    const env = {
      METRICS_SCRAPE_INTERVAL: '20',
      NAMESPACE: 'ai',
      IGNORE_LIST: 'canary, test-',
      CONFIG_MAP_NAME: 'my-config',
      DEFAULT_CPU: '2',
      DEFAULT_MEMORY: '20Gi',
      PROMETHEUS_URL: 'http://127.0.0.1:9090/api/v1/query',
    };
    const fromEnv = parseConfig({}, env).config?.global;
    expect(fromEnv).toEqual({
      intervalSeconds: 20,
      namespaces: ['ai'],
      prometheusUrl: 'http://127.0.0.1:9090',
      prometheusTimeoutMs: 5000,
      prometheusHeaders: {},
      ignore: ['canary', 'test-'],
      configMapName: 'my-config',
      configMapNamespace: 'ai',
      defaultCpu: '2',
      defaultMemory: '20Gi',
      maxConcurrentServices: 4,
    });
    const withGlobal = parseConfig(
      {
        _global:
          'intervalSeconds: 5\nnamespaces: [ai, ml]\nprometheusUrl: http://127.0.0.1:9091/\nprometheusHeaders: {X-Scope-OrgID: team}\nignore: []\nmaxConcurrentServices: 8\nprometheusTimeoutMs: 2000\n',
      },
      env,
    ).config?.global;
    expect(withGlobal).toMatchObject({
      intervalSeconds: 5,
      namespaces: ['ai', 'ml'],
      prometheusUrl: 'http://127.0.0.1:9091',
      prometheusHeaders: { 'X-Scope-OrgID': 'team' },
      ignore: [],
      maxConcurrentServices: 8,
      prometheusTimeoutMs: 2000,
      configMapNamespace: 'ai',
    });
    expect(parseConfig({}, {}).config?.global.prometheusUrl).toBe(
      'http://prometheus-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090',
    );
  });

  it('merges _tiers overrides and additions into the catalog', () => {
    const result = parseConfig(
      {
        _tiers:
          '- name: mig-1g.10gb\n  gpuModel: A100-80GB\n- name: tpu-like\n  resource: example.com/accel\n  kind: gpu\n  computeFraction: 1\n  memoryGb: 32\n  memoryBandwidthFraction: 1\n  relativeCost: 0.7\n  gpuModel: X\n',
        gpt2: withSettings('{ladder: [mig-1g.10gb, tpu-like]}'),
      },
      {},
    );
    expect(result.issues).toEqual([]);
    expect(result.config?.catalog.get('mig-1g.10gb')?.gpuModel).toBe('A100-80GB');
    expect(result.config?.catalog.get('mig-1g.10gb')?.resource).toBe('nvidia.com/mig-1g.10gb');
    expect(result.config?.catalog.get('tpu-like')).toMatchObject({ unitsPerPod: 1, relativeCost: 0.7 });
  });

  it('accepts higherIsBetter with mirrored factors', () => {
    const result = parseConfig(
      {
        gpt2: metric({
          direction: 'higherIsBetter',
          scaleUpFactor: 0.9,
          scaleDownFactor: 1.5,
          aggregate: 'sum',
        }),
      },
      {},
    );
    expect(result.issues).toEqual([]);
  });
});

describe('helpers', () => {
  it.each([
    ['http://p:9090/api/v1/query', 'http://p:9090'],
    ['http://p:9090/', 'http://p:9090'],
    ['http://p:9090/prom/api/v1/query/', 'http://p:9090/prom'],
    ['http://p:9090', 'http://p:9090'],
  ])('normalises %s', (input, expected) => {
    expect(normalisePrometheusUrl(input)).toBe(expected);
  });

  it.each([
    ['rate(x{pod="%s"}[1m])', []],
    ['x{namespace="{{namespace}}",service="{{service}}",rev="{{revision}}",pod=~"{{podRegex}}"}', []],
    ['x{pod="{{ pod }}"}', [' pod ']],
    ['x{a="{{a}}",b="{{a}}",c="{{b}}"}', ['a', 'b']],
  ])('finds unknown placeholders in %s', (query, expected) => {
    expect(unknownPlaceholders(query)).toEqual(expected);
  });
});

describe('formatting and ignore list', () => {
  it.each([
    [undefined, '(missing)'],
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    ['abc', '"abc"'],
    [true, 'true'],
    [null, 'null'],
    [[10, 50], '[10,50]'],
    ['x'.repeat(100), `"${'x'.repeat(77)}..."`],
  ] as const)('formats %p as %s', (value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });

  it('skips services whose names contain an IGNORE_LIST entry', () => {
    const global = parseConfig({}, { IGNORE_LIST: 'canary,,test-' }).config?.global;
    expect(global?.ignore).toEqual(['canary', 'test-']);
    expect(global && isIgnored('gpt2-canary', global)).toBe(true);
    expect(global && isIgnored('gpt2', global)).toBe(false);
  });
});

describe('parseConfig: hostile and careless input (issue 14)', () => {
  const block = metric();
  const cases: ReadonlyArray<{
    name: string;
    data: Record<string, string>;
    env?: Record<string, string>;
    lines: readonly (string | RegExp)[];
    usable: boolean;
  }> = [
    {
      name: 'a metric block with a recursive alias',
      data: { gpt2: block, ttft: RECURSIVE_ALIAS_BLOCK },
      lines: [/^ttft = "- &x\\n {2}name: ttft.*\.\.\.": recursive YAML alias: a value contains itself$/],
      usable: true,
    },
    {
      name: 'an alias bomb',
      data: { gpt2: block, bomb: aliasBomb() },
      lines: [/^bomb = "a: &a .*\.\.\.": YAML aliases expand the document to more than 100000 values/],
      usable: true,
    },
    {
      name: '_global with a recursive alias',
      data: { gpt2: block, _global: '&g {intervalSeconds: 5, self: *g}\n' },
      lines: ['_global = [redacted]: recursive YAML alias: a value contains itself'],
      usable: false,
    },
    {
      name: 'a data map larger than a ConfigMap holds',
      data: { gpt2: block, big: 'x'.repeat(1024 * 1024) },
      lines: [/^data = 1048\d{3}: bytes in all, more than the 1 MiB \(1048576 bytes\) a ConfigMap can hold$/],
      usable: false,
    },
    {
      name: 'slo 1e400 is a number, too large',
      data: { gpt2: metric({ slo: '1e400' }).replace('"1e400"', '1e400') },
      lines: ['gpt2[0].slo = "1e400": too large (the largest number is about 1.8e308)'],
      usable: true,
    },
    {
      name: 'a 1e12 s interval (the timer would overflow)',
      data: { _global: 'intervalSeconds: 1e12' },
      lines: [
        '_global.intervalSeconds = 1000000000000: must be at most 2147483 (24.8 days, the longest a timer can wait)',
      ],
      usable: false,
    },
    {
      name: 'a Prometheus timeout past the longest timer',
      data: { _global: 'prometheusTimeoutMs: 2147483648' },
      lines: [
        '_global.prometheusTimeoutMs = 2147483648: must be at most 2147483647 (24.8 days, the longest a timer can wait)',
      ],
      usable: false,
    },
    {
      name: 'a migration timeout past the longest timer',
      data: { gpt2: withSettings('{migration: {readyTimeoutSeconds: 1e9}}') },
      lines: [
        'gpt2.settings.migration.readyTimeoutSeconds = 1000000000: must be at most 2147483 (24.8 days, the longest a timer can wait)',
      ],
      usable: true,
    },
    {
      name: 'a cooldown past the longest timer',
      data: { gpt2: withSettings('{cooldownSeconds: 3000000}') },
      lines: [
        'gpt2.settings.cooldownSeconds = 3000000: must be at most 2147483 (24.8 days, the longest a timer can wait)',
      ],
      usable: true,
    },
    {
      name: 'a fractional timeout from the environment',
      data: {},
      env: { PROMETHEUS_TIMEOUT_MS: '1500.5' },
      lines: ['env.PROMETHEUS_TIMEOUT_MS = "1500.5": must be a whole number > 0 (no fraction)'],
      usable: false,
    },
    {
      name: 'a hex interval from the environment',
      data: {},
      env: { METRICS_SCRAPE_INTERVAL: '0x10' },
      lines: ['env.METRICS_SCRAPE_INTERVAL = "0x10": must be a number > 0, in decimal'],
      usable: false,
    },
    {
      name: 'an interval from the environment past the longest timer',
      data: {},
      env: { METRICS_SCRAPE_INTERVAL: '1e12' },
      lines: ['env.METRICS_SCRAPE_INTERVAL = "1e12": must be at most 2147483'],
      usable: false,
    },
    {
      name: 'a fractional concurrency from the environment (was rounded down)',
      data: {},
      env: { MAX_CONCURRENT_SERVICES: '2.5' },
      lines: ['env.MAX_CONCURRENT_SERVICES = "2.5": must be a whole number > 0 (no fraction)'],
      usable: false,
    },
    {
      name: 'a header name that is not an HTTP token',
      data: { _global: 'prometheusHeaders: {"X Scope": tenant}' },
      lines: [
        "_global.prometheusHeaders = [redacted]: header name must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)",
      ],
      usable: false,
    },
    {
      name: 'a header value with CR/LF, not shown',
      data: { _global: 'prometheusHeaders:\n  Authorization: |\n    Bearer s3cret\n' },
      lines: [
        '_global.prometheusHeaders.Authorization = [redacted]: must not contain CR, LF or other control characters (a YAML block scalar ends in LF)',
      ],
      usable: false,
    },
    {
      name: 'an unsafe integer',
      data: { gpt2: withSettings('{maxReplicas: 1e20}') },
      lines: ['gpt2.settings.maxReplicas = 100000000000000000000: too large (at most 9007199254740991)'],
      usable: true,
    },
    {
      name: 'a MIG tier with computeFraction 7',
      data: { _tiers: '- {name: mig-3g.40gb, computeFraction: 7}' },
      lines: [
        '_tiers[0].computeFraction = 7: must be at most 1 for kind mig (a share of one GPU: g/7 for a MIG slice, e.g. 3/7 = 0.4286)',
      ],
      usable: false,
    },
    {
      name: 'an MPS tier with computeFraction 1.5',
      data: { _tiers: '- {name: gpu-20gb, computeFraction: 1.5}' },
      lines: ['_tiers[0].computeFraction = 1.5: must be at most 1 for kind mps (a share of one GPU)'],
      usable: false,
    },
  ];
  test.each(cases)('$name', ({ data, env, lines, usable }) => {
    const result = parseConfig(data, env ?? {});
    const text = result.issues.map(formatIssue);
    expect(text).toHaveLength(lines.length);
    lines.forEach((line, index) => {
      if (typeof line === 'string') expect(text[index]).toBe(line);
      else expect(text[index]).toMatch(line);
    });
    expect(result.config !== undefined).toBe(usable);
  });

  test('a header value is never in the issue text', () => {
    const result = parseConfig(
      { _global: 'prometheusHeaders: {Authorization: "Bearer s3cret\\r\\nX: 1"}' },
      {},
    );
    expect(result.issues.map(formatIssue).join('\n')).not.toContain('s3cret');
  });

  test('a whole GPU tier may have a fraction above 1', () => {
    expect(parseConfig({ _tiers: '- {name: gpu-x2, computeFraction: 2}' }, {}).issues).toEqual([]);
  });
});

describe('formatValue never throws and never serialises a value whole', () => {
  const loop: Record<string, unknown> = { name: 'ttft' };
  loop['self'] = loop;
  let bomb: unknown = Array(9).fill('lol');
  for (let i = 0; i < 9; i += 1) bomb = Array(9).fill(bomb);
  test.each([
    { name: 'a value that contains itself', value: loop, expected: '{"name":"ttft","self":[Circular]}' },
    { name: 'an expanded alias bomb (387 million strings)', value: bomb, expected: /^\[{10}"lol".*\.\.\.$/ },
    { name: 'a 10 MB string', value: 'x'.repeat(10_000_000), expected: `"${'x'.repeat(77)}..."` },
    { name: 'Infinity in a list', value: [Infinity], expected: '[Infinity]' },
  ])('$name', ({ value, expected }) => {
    const started = Date.now();
    const text = formatValue(value);
    expect(Date.now() - started).toBeLessThan(100);
    expect(text.length).toBeLessThanOrEqual(82);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  });
});
