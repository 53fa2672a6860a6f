import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedLines, InputTooLargeError, readTextBounded, type BoundedLine } from './bounded-read.js';

async function collect(chunks: readonly (string | Buffer)[], maxBytes: number): Promise<BoundedLine[]> {
  const lines: BoundedLine[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const line of boundedLines(source(), maxBytes)) lines.push(line);
  return lines;
}

describe('boundedLines', () => {
  const cases: ReadonlyArray<{ name: string; chunks: (string | Buffer)[]; expected: BoundedLine[] }> = [
    { name: 'lines across chunks', chunks: ['ab', 'c\nde', 'f\n'], expected: ['abc', 'def'] },
    { name: 'CRLF and a last line without LF', chunks: ['a\r\nb'], expected: ['a', 'b'] },
    { name: 'blank lines kept (the caller counts them)', chunks: ['\n\nx\n'], expected: ['', '', 'x'] },
    {
      name: 'a line over the limit is skipped by size; the next line is read',
      chunks: ['short\n', 'x'.repeat(6), 'x'.repeat(6), '\nnext\n'],
      expected: ['short', { tooLongBytes: 12 }, 'next'],
    },
    { name: 'an over-long last line', chunks: ['x'.repeat(11)], expected: [{ tooLongBytes: 11 }] },
    {
      name: 'a multi-byte character split across chunks',
      chunks: [Buffer.from([0xc3]), Buffer.from([0xa9, 0x0a])],
      expected: ['é'],
    },
    { name: 'exactly the limit', chunks: ['x'.repeat(10), '\n'], expected: ['x'.repeat(10)] },
  ];
  test.each(cases)('$name', async ({ chunks, expected }) => {
    expect(await collect(chunks, 10)).toEqual(expected);
  });

  test('a 600 MB line costs no memory: it is counted, not kept', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    async function* source() {
      yield '{"service":"a"}\n';
      for (let i = 0; i < 600; i += 1) yield chunk;
      yield '\n{"service":"b"}\n';
    }
    const before = process.memoryUsage().rss;
    const lines: BoundedLine[] = [];
    for await (const line of boundedLines(source(), 1024 * 1024)) lines.push(line);
    expect(lines).toEqual(['{"service":"a"}', { tooLongBytes: 600 * 1024 * 1024 }, '{"service":"b"}']);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('readTextBounded', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'k-siss-read-'));
    writeFileSync(join(dir, 'small'), 'hello');
    writeFileSync(join(dir, 'big'), Buffer.alloc(300 * 1024, 'x'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('reads a file within the limit', () => {
    expect(readTextBounded(join(dir, 'small'), 5)).toBe('hello');
  });
  test('refuses a file past the limit, saying the limit', () => {
    expect(() => readTextBounded(join(dir, 'big'), 256 * 1024)).toThrow(InputTooLargeError);
    expect(() => readTextBounded(join(dir, 'big'), 256 * 1024)).toThrow(
      'larger than the 262144 bytes allowed',
    );
    expect(() => readTextBounded(join(dir, 'big'), 2 * 1024 * 1024 - 1 + 1)).not.toThrow();
  });
  test('a missing file is an ordinary error', () => {
    expect(() => readTextBounded(join(dir, 'nope'), 10)).toThrow(/ENOENT/);
  });
});
