import { readFile } from 'node:fs/promises';
import { parseTrace, traceNameOf, type TraceParseResult } from './trace.js';

/** Reads and parses a trace file (the only I/O of the trace readers). */
export async function readTraceFile(path: string): Promise<TraceParseResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      reason: 'unknownFormat',
      message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
  return parseTrace(text, traceNameOf(path));
}
