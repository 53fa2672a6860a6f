import { open } from 'node:fs/promises';
import { parseTrace, traceNameOf, type TraceParseResult } from './trace.js';

/**
 * The largest trace file read (the public Azure and Mooncake traces are tens of MB; a JavaScript string
 * cannot hold much more than 512 MiB, and the simulator keeps every request in memory).
 */
export const MAX_TRACE_FILE_BYTES = 256 * 1024 * 1024;

const CHUNK_BYTES = 1024 * 1024;

/** Reads and parses a trace file (the only I/O of the trace readers), refusing one over `maxBytes`. */
export async function readTraceFile(
  path: string,
  maxBytes: number = MAX_TRACE_FILE_BYTES,
): Promise<TraceParseResult> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const file = await open(path, 'r');
    try {
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) {
          return {
            ok: false,
            reason: 'unknownFormat',
            message: `${path} is larger than the ${maxBytes / (1024 * 1024)} MiB a trace may be (split the trace)`,
          };
        }
        chunks.push(chunk.subarray(0, bytesRead));
      }
    } finally {
      await file.close();
    }
  } catch (error) {
    return {
      ok: false,
      reason: 'unknownFormat',
      message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
  return parseTrace(Buffer.concat(chunks, total).toString('utf8'), traceNameOf(path));
}
