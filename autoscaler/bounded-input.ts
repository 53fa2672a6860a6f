import { load, loadAll } from 'js-yaml';

/**
 * Parsing of untrusted text with bounds (pure): YAML with an alias limit, a size limit and a check that the
 * aliases neither loop nor expand the document beyond what any config needs; JSON with a nesting limit; and
 * the rendering of a bad value for an error message without serialising it whole.
 */

/** The most a ConfigMap holds (1 MiB), and so the most a config document may be. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** YAML aliases per document: plenty for the anchors a hand-written config uses. */
export const MAX_YAML_ALIASES = 100;
/** Values a document may hold once its aliases are followed (an alias bomb expands to billions). */
export const MAX_YAML_VALUES = 100_000;
/** Nesting of YAML collections (aliases not counted) and of JSON values. */
export const MAX_NESTING_DEPTH = 64;

/** A parsed value, or why the text was refused (one line, no part of the text beyond a short excerpt). */
export type BoundedParse<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** `1 MiB (1048576 bytes)` for the size limits in messages. */
export function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB (${bytes} bytes)` : `${bytes} bytes`;
}

/** Refuses a text over `maxBytes` (UTF-8), before anything parses it. */
export function checkSize(text: string, maxBytes: number): BoundedParse<string> {
  // A UTF-8 byte is at least a third of a UTF-16 unit: only measure texts that may be too large.
  if (text.length * 3 <= maxBytes) return { ok: true, value: text };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { ok: true, value: text };
  return { ok: false, message: `is ${bytes} bytes, more than the ${describeBytes(maxBytes)} allowed` };
}

/**
 * The number of values `root` holds with shared references counted at every place they appear, or why it is
 * refused: it contains itself (a recursive alias) or holds more than `maxValues`. Linear in distinct values.
 */
export function expandedSize(root: unknown, maxValues: number = MAX_YAML_VALUES): BoundedParse<number> {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const sizeOf = (value: unknown): number | 'recursive' => {
    if (value === null || typeof value !== 'object') return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    if (open.has(value)) return 'recursive';
    open.add(value);
    let total = 1;
    for (const child of Object.values(value)) {
      const size = sizeOf(child);
      if (size === 'recursive') return size;
      // Saturate: past the limit the exact count no longer matters, and it must not overflow.
      total = Math.min(total + size, maxValues + 1);
    }
    open.delete(value);
    sizes.set(value, total);
    return total;
  };
  const size = sizeOf(root);
  if (size === 'recursive') {
    return { ok: false, message: 'recursive YAML alias: a value contains itself' };
  }
  if (size > maxValues) {
    return {
      ok: false,
      message: `YAML aliases expand the document to more than ${maxValues} values (an alias bomb?)`,
    };
  }
  return { ok: true, value: size };
}

const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? text).trim();
};

/** Options of the bounded YAML readers. */
export interface BoundedYamlOptions {
  /** Default MAX_DOCUMENT_BYTES. */
  readonly maxBytes?: number;
}

/** Parses every document of a YAML text within the bounds above; `message` is the reason, without the input. */
export function loadAllYamlBounded(text: string, options: BoundedYamlOptions = {}): BoundedParse<unknown[]> {
  const sized = checkSize(text, options.maxBytes ?? MAX_DOCUMENT_BYTES);
  if (!sized.ok) return sized;
  let documents: unknown[];
  try {
    documents = loadAll(text, { maxAliases: MAX_YAML_ALIASES, maxDepth: MAX_NESTING_DEPTH });
  } catch (error) {
    return { ok: false, message: `invalid YAML: ${firstLine(error)}` };
  }
  // One budget for the whole text: the documents may share nothing, but together they must stay small.
  const size = expandedSize(documents);
  if (!size.ok) return size;
  return { ok: true, value: documents };
}

/** Parses one YAML document (empty text: undefined) within the bounds above. */
export function loadYamlBounded(text: string, options: BoundedYamlOptions = {}): BoundedParse<unknown> {
  const sized = checkSize(text, options.maxBytes ?? MAX_DOCUMENT_BYTES);
  if (!sized.ok) return sized;
  if (text.trim() === '') return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = load(text, { maxAliases: MAX_YAML_ALIASES, maxDepth: MAX_NESTING_DEPTH });
  } catch (error) {
    return { ok: false, message: `invalid YAML: ${firstLine(error)}` };
  }
  const size = expandedSize(value);
  if (!size.ok) return size;
  return { ok: true, value };
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted up to `limit + 1` without parsing it
 * (brackets inside strings do not count). Cheap enough to run on every line before JSON.parse.
 */
export function jsonNestingDepth(text: string, limit: number = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth -= 1;
  }
  return deepest;
}

/** JSON.parse with a nesting limit; the message is the reason, without the input. */
export function parseJsonBounded(text: string, maxDepth: number = MAX_NESTING_DEPTH): BoundedParse<unknown> {
  const depth = jsonNestingDepth(text, maxDepth);
  if (depth > maxDepth) {
    return { ok: false, message: `nested deeper than ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `invalid JSON: ${firstLine(error)}` };
  }
}

/**
 * A value as JSON-like text of about `maxChars` characters at most: stops once the budget is spent, marks a
 * value met again inside itself `[Circular]`, writes non-finite numbers as `Infinity`/`NaN`, never throws.
 */
export function renderBounded(value: unknown, maxChars: number): string {
  let out = '';
  const open = new Set<object>();
  const full = (): boolean => out.length > maxChars;
  const write = (text: string): void => {
    const room = maxChars + 1 - out.length;
    out += text.length > room ? text.slice(0, room) : text;
  };
  const visit = (v: unknown, inArray: boolean): void => {
    if (full()) return;
    if (typeof v === 'string') write(JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v));
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') write(String(v));
    else if (v === null) write('null');
    else if (v === undefined || typeof v === 'function' || typeof v === 'symbol') {
      write(inArray ? 'null' : 'undefined');
    } else if (v instanceof Date) write(Number.isNaN(v.getTime()) ? 'Invalid Date' : JSON.stringify(v));
    else if (open.has(v)) write('[Circular]');
    else {
      open.add(v);
      const isArray = Array.isArray(v);
      write(isArray ? '[' : '{');
      let first = true;
      const item = (key: string | undefined, child: unknown): void => {
        if (key !== undefined && child === undefined) return;
        if (!first) write(',');
        first = false;
        if (key !== undefined)
          write(`${JSON.stringify(key.length > maxChars ? key.slice(0, maxChars) : key)}:`);
        visit(child, key === undefined);
      };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && !full(); i += 1) item(undefined, v[i]);
      } else {
        for (const key in v) {
          if (full()) break;
          if (Object.hasOwn(v, key)) item(key, (v as Record<string, unknown>)[key]);
        }
      }
      write(isArray ? ']' : '}');
      open.delete(v);
    }
  };
  try {
    visit(value, false);
  } catch {
    return out === '' ? '(unprintable value)' : out.slice(0, maxChars);
  }
  return out;
}
