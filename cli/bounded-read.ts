import { closeSync, openSync, readSync } from 'node:fs';
import { describeBytes, MAX_DOCUMENT_BYTES } from '../autoscaler/index.js';

/**
 * Reading of the command line's files and stdin with size limits: a path may be `/dev/stdin`, a FIFO or a
 * multi-gigabyte file, so nothing is read whole before its size is known to be sane.
 */

/** One JSON line of `decide` (a state with a long recommendation history is a few KiB). */
export const MAX_LINE_BYTES = MAX_DOCUMENT_BYTES;

const CHUNK_BYTES = 64 * 1024;

/** Thrown when an input is larger than its limit; the message says how large it may be. */
export class InputTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than the ${describeBytes(maxBytes)} allowed`);
  }
}

/** Reads a file (any kind: regular, FIFO, /dev/stdin) as UTF-8, refusing it once it passes `maxBytes`. */
export function readTextBounded(path: string | URL, maxBytes: number): string {
  // The process's own stdin by number: opening /dev/stdin fails when it is a socket (ENXIO).
  const isStdin = path === '/dev/stdin' || path === '-';
  const fd = isStdin ? 0 : openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const read = readRetrying(fd, chunk);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw new InputTooLargeError(maxBytes);
      chunks.push(read === CHUNK_BYTES ? chunk : chunk.subarray(0, read));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    if (!isStdin) closeSync(fd);
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** readSync, waiting out EAGAIN (a non-blocking pipe or socket with nothing to read yet). */
function readRetrying(fd: number, chunk: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

/** One line of a stream: its text (without the line end), or only its size when it passed the limit. */
export type BoundedLine = string | { readonly tooLongBytes: number };

/**
 * Splits a byte stream into lines of at most `maxBytes` each; a longer line is skipped (its bytes are
 * counted, not kept) and reported as `{tooLongBytes}`, so one huge line costs no memory and the next
 * line is read as usual. A CR before the LF is removed.
 */
export async function* boundedLines(
  chunks: AsyncIterable<Buffer | string>,
  maxBytes: number = MAX_LINE_BYTES,
): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  const finish = (): BoundedLine => {
    if (skipping) return { tooLongBytes: length };
    let line = Buffer.concat(parts, length).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return line;
  };
  const add = (piece: Buffer): void => {
    length += piece.length;
    if (skipping) return;
    if (length > maxBytes) {
      skipping = true;
      parts = [];
    } else parts.push(piece);
  };
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      if (end < 0) break;
      add(chunk.subarray(start, end));
      yield finish();
      parts = [];
      length = 0;
      skipping = false;
      start = end + 1;
    }
    // Copied: the stream may reuse its buffer.
    if (start < chunk.length) add(Buffer.from(chunk.subarray(start)));
  }
  if (length > 0 || skipping) yield finish();
}
