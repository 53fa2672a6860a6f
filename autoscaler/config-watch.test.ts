import { applyConfigData, dataFingerprint } from './config-watch.js';
import { parseConfig } from './config.js';
import { aliasBomb } from '../test/hostile-inputs.js';

const gpt2 = `- name: latency
  query: 'x{pod="%s"}'
  slo: 0.5
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

describe('applyConfigData', () => {
  const lastGood = parseConfig({ gpt2 }, {}).config;

  test('a valid document is loaded', () => {
    const applied = applyConfigData(undefined, { gpt2, llama: gpt2 }, {});
    expect(applied.kind).toBe('loaded');
    expect([...(applied.config?.services.keys() ?? [])]).toEqual(['gpt2', 'llama']);
    expect(applied.issues).toEqual([]);
  });

  test('an invalid service block is skipped, the others are loaded', () => {
    const applied = applyConfigData(lastGood, { gpt2, broken: '- name: m\n  query: up\n  slo: -1\n' }, {});
    expect(applied.kind).toBe('loaded');
    expect([...(applied.config?.services.keys() ?? [])]).toEqual(['gpt2']);
    expect(applied.issues.map((issue) => issue.key)).toContain('broken');
  });

  const unusable = { gpt2, _global: 'intervalSeconds: -5\n' };
  test('an unusable document keeps the last good config', () => {
    const applied = applyConfigData(lastGood, unusable, {});
    expect(applied.kind).toBe('keptLastGood');
    expect(applied.config).toBe(lastGood);
    expect(applied.issues).toEqual([
      expect.objectContaining({ key: '_global', path: '.intervalSeconds', value: -5 }),
    ]);
  });

  test('an unusable document with no last good config leaves none', () => {
    const applied = applyConfigData(undefined, unusable, {});
    expect(applied.kind).toBe('noConfig');
    expect(applied.config).toBeUndefined();
  });

  test('a parser failure (a bug) keeps the last good config instead of throwing', () => {
    const exploding = new Proxy<Record<string, string>>(
      {},
      {
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const applied = applyConfigData(lastGood, exploding, {});
    expect(applied.kind).toBe('keptLastGood');
    expect(applied.config).toBe(lastGood);
    expect(applied.issues).toEqual([
      { key: 'data', path: '', value: undefined, message: 'could not be parsed (bug: boom)' },
    ]);
  });

  test.each<{ name: string; data: Record<string, string> }>([
    { name: 'a recursive alias in _global', data: { gpt2, _global: '&g {intervalSeconds: 5, self: *g}' } },
    { name: 'an alias bomb in _tiers', data: { gpt2, _tiers: aliasBomb() } },
  ])('$name keeps the last good config', ({ data }) => {
    const applied = applyConfigData(lastGood, data, {});
    expect(applied.kind).toBe('keptLastGood');
    expect(applied.config).toBe(lastGood);
  });

  test('a bad environment makes every document unusable', () => {
    expect(applyConfigData(lastGood, { gpt2 }, { METRICS_SCRAPE_INTERVAL: 'soon' }).kind).toBe(
      'keptLastGood',
    );
  });
});

describe('dataFingerprint', () => {
  const cases: ReadonlyArray<{
    name: string;
    a: Record<string, string> | undefined;
    b: Record<string, string> | undefined;
    same: boolean;
  }> = [
    { name: 'key order does not matter', a: { x: '1', y: '2' }, b: { y: '2', x: '1' }, same: true },
    { name: 'a changed value matters', a: { x: '1' }, b: { x: '2' }, same: false },
    { name: 'no data is empty data', a: undefined, b: {}, same: true },
  ];
  test.each(cases)('$name', ({ a, b, same }) => {
    expect(dataFingerprint(a) === dataFingerprint(b)).toBe(same);
  });
});
