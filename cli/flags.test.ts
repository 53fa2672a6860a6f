import { decimalFlag, isBindHost } from './flags.js';

describe('decimalFlag', () => {
  const port = { integer: true, min: 0, max: 65535 };
  const interval = { integer: false, min: 0, minExclusive: true, max: 2147483 };
  const cases: ReadonlyArray<{
    name: string;
    raw: string;
    bounds: Parameters<typeof decimalFlag>[1];
    expected: number | string;
  }> = [
    { name: 'a port', raw: '8080', bounds: port, expected: 8080 },
    {
      name: 'hex is refused (Number reads 0x10 as 16)',
      raw: '0x10',
      bounds: port,
      expected: 'must be a whole number >= 0 and <= 65535, in decimal',
    },
    {
      name: 'binary is refused',
      raw: '0b11',
      bounds: port,
      expected: 'must be a whole number >= 0 and <= 65535, in decimal',
    },
    {
      name: 'empty is refused (Number reads it as 0)',
      raw: '',
      bounds: port,
      expected: 'must be a whole number >= 0 and <= 65535, in decimal',
    },
    {
      name: 'a fraction where a whole number is meant',
      raw: '80.5',
      bounds: port,
      expected: 'must be a whole number >= 0 and <= 65535, in decimal',
    },
    {
      name: 'an unsafe integer (loses digits)',
      raw: '9007199254740993',
      bounds: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
      expected: 'too large to be exact (must be a whole number >= 0, in decimal)',
    },
    { name: 'a fractional interval', raw: '0.5', bounds: interval, expected: 0.5 },
    {
      name: 'zero where > 0 is meant',
      raw: '0',
      bounds: interval,
      expected: 'must be a number > 0 and <= 2147483, in decimal',
    },
    {
      name: 'an interval the timer cannot hold',
      raw: '1e12',
      bounds: interval,
      expected: 'must be a number > 0 and <= 2147483, in decimal',
    },
    {
      name: '1e400',
      raw: '1e400',
      bounds: interval,
      expected: 'too large (must be a number > 0 and <= 2147483, in decimal)',
    },
    {
      name: 'Infinity spelt out',
      raw: 'Infinity',
      bounds: interval,
      expected: 'must be a number > 0 and <= 2147483, in decimal',
    },
  ];
  test.each(cases)('$name', ({ raw, bounds, expected }) => {
    const parsed = decimalFlag(raw, bounds);
    expect(parsed.ok ? parsed.value : parsed.message).toBe(expected);
  });
});

describe('isBindHost', () => {
  test.each([
    ['127.0.0.1', true],
    ['0.0.0.0', true],
    ['::', true],
    ['::1', true],
    ['localhost', true],
    ['metrics.example.com', true],
    ['999.1.1.1', false],
    ['not a host', false],
    ['', false],
    ['http://127.0.0.1', false],
  ] as const)('%s: %s', (host, expected) => {
    expect(isBindHost(host)).toBe(expected);
  });
});
