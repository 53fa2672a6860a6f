import { parseTrace, traceNameOf } from './trace.js';
import { join } from 'node:path';
import { readTraceFile } from './trace-file.js';
import { defaultTracesDir } from './traces-dir.js';

const AZURE = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:15:46.6805900,374,44',
  '2023-11-16 18:15:50.9951690,396,109',
  '2023-11-16 18:15:50.9951700,10,0',
].join('\n');

const MOONCAKE = [
  '{"timestamp": 0, "input_length": 40160, "output_length": 6, "hash_ids": [0, 1]}',
  '{"timestamp": 1500, "input_length": 100, "output_length": 20}',
].join('\n');

describe('parseTrace', () => {
  it('reads the Azure CSV: wall-clock with 7 fractional digits, first row is the start', () => {
    const r = parseTrace(AZURE, 'azure');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.trace.format).toBe('azure-csv');
    expect(r.trace.requests.map((q) => [q.promptTokens, q.outputTokens])).toEqual([
      [374, 44],
      [396, 109],
      [10, 0],
    ]);
    expect(r.trace.requests[0]?.arrivalMs).toBe(0);
    expect(r.trace.requests[1]?.arrivalMs).toBeCloseTo(4314.579, 3);
    expect(r.trace.requests[2]?.arrivalMs).toBeCloseTo(4314.58, 3);
    expect(r.trace.durationMs).toBeCloseTo(4314.58, 3);
  });

  it('reads Azure columns in any order with CRLF line ends', () => {
    const r = parseTrace('GeneratedTokens,TIMESTAMP,ContextTokens\r\n5,2024-05-10 00:00:00.5,7\r\n', 'x');
    expect(r.ok && r.trace.requests[0]).toMatchObject({ promptTokens: 7, outputTokens: 5, arrivalMs: 0 });
  });

  it('reads Mooncake JSONL: timestamp in ms from the start, extra fields ignored', () => {
    const r = parseTrace(MOONCAKE, 'mooncake');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.trace.format).toBe('mooncake-jsonl');
    expect(r.trace.requests).toEqual([
      { id: 0, arrivalMs: 0, promptTokens: 40160, outputTokens: 6 },
      { id: 1, arrivalMs: 1500, promptTokens: 100, outputTokens: 20 },
    ]);
  });

  it('sorts (stably) rather than assuming sorted input', () => {
    const r = parseTrace(
      '{"timestamp": 900, "input_length": 1, "output_length": 1}\n{"timestamp": 100, "input_length": 2, "output_length": 2}',
      'm',
    );
    expect(r.ok && r.trace.requests.map((q) => q.promptTokens)).toEqual([2, 1]);
  });

  const malformed: ReadonlyArray<{ name: string; text: string; message: string }> = [
    {
      name: 'Azure: a bad timestamp',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,1,1\nyesterday,2,2',
      message:
        'az line 3: TIMESTAMP = "yesterday": must be a real date and time like 2023-11-16 18:15:46.6805900',
    },
    {
      name: 'Azure: a date that does not exist',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-02-28 23:59:59.0,1,1\n2023-02-31 00:00:00.0,2,2',
      message: 'az line 3: TIMESTAMP = "2023-02-31 00:00:00.0": must be a real date and time',
    },
    {
      name: 'Azure: a span of months (a typo in a date)',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-02-01 10:00:00.0,1,1\n2023-10-01 10:00:01.0,2,2\n2023-02-01 10:00:02.0,3,3',
      message:
        'az line 3: TIMESTAMP = "2023-10-01 10:00:01.0": is 242.0 days after the trace\'s first request; the simulator replays at most 7 days',
    },
    {
      name: 'Mooncake: a span of months',
      text: '{"timestamp": 0, "input_length": 1, "output_length": 1}\n{"timestamp": 20000000000, "input_length": 1, "output_length": 1}',
      message: 'az line 2: timestamp = 20000000000: is 231.5 days after',
    },
    {
      name: 'Azure: a non-numeric token count',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,abc,1',
      message: 'az line 2: ContextTokens = "abc": must be a whole number >= 0',
    },
    {
      name: 'Azure: a negative output',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,1,-4',
      message: 'az line 2: GeneratedTokens = "-4": must be a whole number >= 0',
    },
    {
      name: 'Azure: a short row',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n\n2023-11-16 18:15:46.1,1',
      message: 'az line 3: row = "2023-11-16 18:15:46.1,1": has 2 columns, the header has 3',
    },
    {
      name: 'Mooncake: not JSON',
      text: '{"timestamp": 0, "input_length": 1, "output_length": 1}\n{"timestamp": 5,',
      message: 'az line 2: line = "{\\"timestamp\\": 5,": is not JSON',
    },
    {
      name: 'Mooncake: a missing field',
      text: '{"timestamp": 0, "input_length": 1}',
      message: 'az line 1: output_length = (missing): must be a whole number >= 0',
    },
    {
      name: 'Mooncake: a string timestamp',
      text: '{"timestamp": "0", "input_length": 1, "output_length": 1}',
      message: 'az line 1: timestamp = "0": must be a number of ms >= 0',
    },
    {
      name: 'Mooncake: a timestamp of 1e400 (JSON.parse makes it Infinity, which JSON prints as null)',
      text: '{"timestamp": 0, "input_length": 1, "output_length": 1}\n{"timestamp": 1e400, "input_length": 1, "output_length": 1}',
      message: 'az line 2: timestamp = 1e400: is too large',
    },
    {
      name: 'Mooncake: a nested timestamp is shown short',
      text: `{"timestamp": [${'[1],'.repeat(1000)}1], "input_length": 1, "output_length": 1}`,
      message: 'az line 1: timestamp = [[1],[1],',
    },
    { name: 'neither format', text: 'time,prompt\n1,2', message: 'az line 1: "time,prompt" is neither' },
    { name: 'empty', text: '\n\n', message: 'az: the trace is empty' },
    {
      name: 'header only',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n',
      message: 'az: no requests after the header',
    },
  ];
  it.each(malformed)('rejects $name with the line number and field', ({ text, message }) => {
    const r = parseTrace(text, 'az');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});

describe('readTraceFile', () => {
  it('reads both shared traces', async () => {
    const azure = await readTraceFile(join(defaultTracesDir(), 'azure-llm-2023-conv.csv'));
    const mooncake = await readTraceFile(join(defaultTracesDir(), 'mooncake-synthetic.jsonl'));
    expect(azure.ok && azure.trace.requests.length).toBe(19366);
    expect(mooncake.ok && mooncake.trace.requests.length).toBe(3993);
    expect(azure.ok && azure.trace.name).toBe('azure-llm-2023-conv');
  });
  it('names the file it cannot read', async () => {
    const r = await readTraceFile('/nonexistent/trace.csv');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('/nonexistent/trace.csv');
  });
  it('derives the trace name from the path', () => {
    expect(traceNameOf('/a/b/mooncake-synthetic.jsonl')).toBe('mooncake-synthetic');
  });
});
