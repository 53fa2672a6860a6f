import {
  expandedSize,
  jsonNestingDepth,
  loadAllYamlBounded,
  loadYamlBounded,
  MAX_DOCUMENT_BYTES,
  MAX_NESTING_DEPTH,
  parseJsonBounded,
  renderBounded,
} from './bounded-input.js';
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';

describe('loadYamlBounded', () => {
  const cases: ReadonlyArray<{ name: string; text: string; message?: RegExp; value?: unknown }> = [
    { name: 'an anchor used twice is fine', text: 'a: &v 1\nb: *v\n', value: { a: 1, b: 1 } },
    { name: 'empty text is no document', text: '  \n', value: undefined },
    { name: 'a recursive alias', text: RECURSIVE_ALIAS_BLOCK, message: /^recursive YAML alias/ },
    { name: 'an alias bomb', text: aliasBomb(), message: /expand the document to more than 100000 values/ },
    {
      name: 'more aliases than any config needs',
      text: `a: &a 1\nb: [${Array(101).fill('*a').join(',')}]\n`,
      message: /^invalid YAML: aliases exceeded maxAliases \(100\)/,
    },
    {
      name: 'nesting deeper than 64',
      text: `${'['.repeat(MAX_NESTING_DEPTH + 1)}${']'.repeat(MAX_NESTING_DEPTH + 1)}`,
      message: /^invalid YAML: .*depth/i,
    },
    {
      name: 'more than a ConfigMap holds',
      text: `a: "${'x'.repeat(MAX_DOCUMENT_BYTES)}"\n`,
      message: /^is 1048582 bytes, more than the 1 MiB \(1048576 bytes\) allowed$/,
    },
    {
      name: 'multi-byte text is measured in bytes',
      text: `a: "${'é'.repeat(MAX_DOCUMENT_BYTES / 2)}"\n`,
      message: /^is 1048582 bytes/,
    },
    { name: 'invalid YAML: first line only', text: 'a: [', message: /^invalid YAML: [^\n]+$/ },
  ];
  test.each(cases)('$name', ({ text, message, value }) => {
    const started = Date.now();
    const parsed = loadYamlBounded(text);
    expect(Date.now() - started).toBeLessThan(2000);
    if (message === undefined) {
      expect(parsed).toEqual({ ok: true, value });
    } else {
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(message);
    }
  });

  test('loadAllYamlBounded counts every document of the text against the same bounds', () => {
    expect(loadAllYamlBounded('a: 1\n---\nb: 2\n')).toEqual({ ok: true, value: [{ a: 1 }, { b: 2 }] });
    const bomb = loadAllYamlBounded(`kind: ConfigMap\n---\n${aliasBomb()}`);
    expect(bomb.ok).toBe(false);
  });
});

describe('expandedSize', () => {
  const shared = [1, 2, 3];
  const loop: Record<string, unknown> = { name: 'x' };
  loop['self'] = loop;
  const cases: ReadonlyArray<{ name: string; value: unknown; expected: number | string }> = [
    { name: 'a scalar is one value', value: 'x', expected: 1 },
    { name: 'a shared array counts where it appears', value: [shared, shared], expected: 9 },
    { name: 'a cycle', value: { a: loop }, expected: 'recursive YAML alias: a value contains itself' },
  ];
  test.each(cases)('$name', ({ value, expected }) => {
    const size = expandedSize(value);
    expect(size.ok ? size.value : size.message).toBe(expected);
  });

  test('a shared structure of 10^12 values is refused in linear time', () => {
    let level: unknown = Array(10).fill('x');
    for (let i = 0; i < 11; i += 1) level = Array(10).fill(level);
    const size = expandedSize(level, 1000);
    expect(size.ok).toBe(false);
  });
});

describe('jsonNestingDepth and parseJsonBounded', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const cases: ReadonlyArray<{ name: string; text: string; depth: number; parsed: unknown }> = [
    { name: 'flat', text: '{"a":1}', depth: 1, parsed: { ok: true, value: { a: 1 } } },
    {
      name: 'brackets in strings do not count',
      text: '["[[[{{", "\\"]"]',
      depth: 1,
      parsed: { ok: true, value: ['[[[{{', '"]'] },
    },
    {
      name: '100k deep (counted up to the limit only)',
      text: deep,
      depth: MAX_NESTING_DEPTH + 1,
      parsed: { ok: false, message: 'nested deeper than 64 levels' },
    },
    {
      name: 'invalid JSON',
      text: '{',
      depth: 1,
      parsed: { ok: false, message: expect.stringMatching(/^invalid JSON: /) },
    },
  ];
  test.each(cases)('$name', ({ text, depth, parsed }) => {
    expect(jsonNestingDepth(text)).toBe(depth);
    expect(parseJsonBounded(text)).toEqual(parsed);
  });
});

describe('renderBounded', () => {
  const loop: Record<string, unknown> = { name: 'ttft' };
  loop['self'] = loop;
  let bomb: unknown = Array(9).fill('lol');
  for (let i = 0; i < 9; i += 1) bomb = Array(9).fill(bomb);
  const throwing = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error('no keys');
      },
    },
  );
  const cases: ReadonlyArray<{ name: string; value: unknown; expected: string | RegExp }> = [
    {
      name: 'plain JSON as JSON.stringify writes it',
      value: { a: [1, 'b', null], c: true },
      expected: '{"a":[1,"b",null],"c":true}',
    },
    { name: 'a value that contains itself', value: loop, expected: '{"name":"ttft","self":[Circular]}' },
    { name: 'an alias bomb stops at the budget', value: bomb, expected: /^\[\[\[\[\[\[\[\[\[\["lol","lol"/ },
    { name: 'non-finite numbers as they are', value: [Infinity, NaN], expected: '[Infinity,NaN]' },
    { name: 'a value that throws when read', value: throwing, expected: '{' },
    { name: 'a million-element array', value: Array(1_000_000).fill(7), expected: /^\[7,7,7/ },
  ];
  test.each(cases)('$name', ({ value, expected }) => {
    const text = renderBounded(value, 80);
    expect(text.length).toBeLessThanOrEqual(81);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  });
});
