import { configDataFromText, parseCapacity, parseJsonOption, parseNow, parseState } from './inputs.js';
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';

describe('parseNow: times that roll over, are ambiguous or do not fit a Date are refused', () => {
  const cases: ReadonlyArray<{ name: string; input: unknown; expected: number | string }> = [
    { name: 'ISO with Z', input: '2026-11-23T07:00:00Z', expected: Date.UTC(2026, 10, 23, 7) },
    { name: 'ISO with an offset', input: '2026-11-23T08:00:00+01:00', expected: Date.UTC(2026, 10, 23, 7) },
    { name: 'a date alone is UTC midnight', input: '2026-02-28', expected: Date.UTC(2026, 1, 28) },
    { name: 'a leap day', input: '2028-02-29T00:00:00Z', expected: Date.UTC(2028, 1, 29) },
    { name: 'ms since the epoch (digits)', input: '1795417200000', expected: 1795417200000 },
    { name: 'ms since the epoch (a JSON number)', input: 1000, expected: 1000 },
    {
      name: '2026-02-31 does not roll over to March 3',
      input: '2026-02-31',
      expected: '--now = "2026-02-31": is not a real date',
    },
    {
      name: 'not a leap year',
      input: '2026-02-29T00:00:00Z',
      expected: '--now = "2026-02-29T00:00:00Z": is not a real date',
    },
    {
      name: 'hour 24',
      input: '2026-11-23T24:00:00Z',
      expected: '--now = "2026-11-23T24:00:00Z": is not a real time of day',
    },
    {
      name: '-5 (read as the year 2001)',
      input: '-5',
      expected: '--now = "-5": must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z)',
    },
    {
      name: '2026 (2026 ms after the epoch, or a year?)',
      input: '2026',
      expected:
        '--now = "2026": is ambiguous (a year? seconds?): give ms since the epoch (13 digits today) or an ISO time',
    },
    {
      name: 'seconds since the epoch',
      input: '1795417200',
      expected:
        '--now = "1795417200": is ambiguous (a year? seconds?): give ms since the epoch (13 digits today) or an ISO time',
    },
    {
      name: 'beyond what a Date holds (digits)',
      input: '99999999999999999',
      expected: '--now = "99999999999999999": is beyond the latest time a date can hold',
    },
    {
      name: 'beyond what a Date holds (a number)',
      input: 1e20,
      expected: '--now = 100000000000000000000: is beyond the latest time a date can hold',
    },
    {
      name: 'a fraction of a ms',
      input: 1.5,
      expected:
        '--now = 1.5: must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z): whole ms >= 0',
    },
    {
      name: 'a local time without zone',
      input: '2026-11-23T07:00:00',
      expected: '--now = "2026-11-23T07:00:00": must give its time zone (Z or an offset like +01:00)',
    },
    {
      name: 'a year beyond 9999',
      input: '+275761-01-01',
      expected: '--now = "+275761-01-01": must be ms since the epoch or an ISO time (2026-11-23T07:00:00Z)',
    },
  ];
  test.each(cases)('$name', ({ input, expected }) => {
    const parsed = parseNow('--now', input);
    if (typeof expected === 'number') expect(parsed).toEqual({ ok: true, value: expected });
    else expect(parsed).toEqual({ ok: false, errors: [expected] });
  });

  test('a recommendation time that rolls over is refused in a state too', () => {
    const parsed = parseState('state', {
      tier: 'gpu',
      readyReplicas: 1,
      recommendations: [{ atMs: '2026-04-31', tier: 'gpu', replicas: 1 }],
    });
    expect(parsed).toEqual({
      ok: false,
      errors: ['state.recommendations[0].atMs = "2026-04-31": is not a real date'],
    });
  });
});

describe('parseCapacity: units are whole', () => {
  test.each([
    { name: 'whole units', free: 2, errors: undefined },
    {
      name: 'half a unit',
      free: 0.5,
      errors: ['capacity.nodes[0].free.nvidia.com/gpu = 0.5: must be a whole number of units'],
    },
    {
      name: 'negative units',
      free: -1,
      errors: ['capacity.nodes[0].free.nvidia.com/gpu = -1: must be >= 0'],
    },
  ])('$name', ({ free, errors }) => {
    const parsed = parseCapacity('capacity', { nodes: [{ name: 'n', free: { 'nvidia.com/gpu': free } }] });
    expect(parsed.ok ? undefined : parsed.errors).toEqual(errors);
  });
});

describe('parseJsonOption: bounded', () => {
  test.each([
    { name: 'an object', raw: '{"a":1}', expected: { ok: true, value: { a: 1 } } },
    {
      name: '100k deep',
      raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      expected: { ok: false, errors: ['--state: nested deeper than 64 levels'] },
    },
    {
      name: 'a file that cannot be read',
      raw: '@nope.json',
      expected: { ok: false, errors: ['--state: cannot read nope.json: too large'] },
    },
  ])('$name', ({ raw, expected }) => {
    expect(
      parseJsonOption('--state', raw, () => {
        throw new Error('too large');
      }),
    ).toEqual(expected);
  });
});

describe('configDataFromText: only the autoscaler ConfigMap or its data map', () => {
  const cases: ReadonlyArray<{ name: string; text: string; expected: Record<string, string> | string }> = [
    {
      name: 'a ConfigMap manifest',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: autoscaler-config}\ndata:\n  gpt2: "- x"\n',
      expected: { gpt2: '- x' },
    },
    { name: 'a data map', text: 'gpt2: "- x"\n', expected: { gpt2: '- x' } },
    {
      name: 'a Secret',
      text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: autoscaler-config}\ndata:\n  token: czNjcmV0\n',
      expected:
        'kind = "Secret": not a ConfigMap (give the autoscaler\'s ConfigMap manifest or its data map)',
    },
    {
      name: 'a ConfigMap whose data is a list',
      text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: autoscaler-config}\ndata:\n  - gpt2\n',
      expected: 'data = ["gpt2"]: must be a map of key: text',
    },
    {
      name: 'only data: (a ConfigMap without its header)',
      text: 'data:\n  gpt2: |\n    - name: m\n',
      expected:
        'data: a ConfigMap without its header (add apiVersion: v1 and kind: ConfigMap), or give the data map alone',
    },
    {
      name: 'an empty data:',
      text: 'data:\n',
      expected:
        'data: a ConfigMap without its header (add apiVersion: v1 and kind: ConfigMap), or give the data map alone',
    },
    {
      name: 'a service named data in the object form is a service',
      text: 'data:\n  metrics: []\n',
      expected: { data: 'metrics: []\n' },
    },
    {
      name: 'a recursive alias',
      text: `gpt2:\n${RECURSIVE_ALIAS_BLOCK.replace(/^/gm, '  ')}`,
      expected: 'recursive YAML alias: a value contains itself',
    },
    {
      name: 'an alias bomb',
      text: aliasBomb(),
      expected: 'YAML aliases expand the document to more than 100000 values (an alias bomb?)',
    },
    {
      name: 'larger than 2 MiB',
      text: `a: "${'x'.repeat(2 * 1024 * 1024)}"`,
      expected: 'is 2097157 bytes, more than the 2 MiB (2097152 bytes) allowed',
    },
  ];
  test.each(cases)('$name', ({ text, expected }) => {
    const parsed = configDataFromText(text);
    if (typeof expected === 'string') expect(parsed).toEqual({ ok: false, errors: [expected] });
    else expect(parsed).toEqual({ ok: true, value: expected });
  });
});
