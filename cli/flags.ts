import { isIP } from 'node:net';

/**
 * Strict readers of numeric and address flags: decimal only (`Number('0x10')` is 16, `Number('')` is 0),
 * integers within the safe range, so that what the user typed is what the command uses.
 */

const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A flag's value read as a number, or why not (the caller names the flag). */
export type FlagNumber =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string };

/** Reads a decimal number; `integer` refuses fractions and integers past 2^53 (which lose digits). */
export function decimalFlag(
  raw: string,
  bounds: {
    readonly integer: boolean;
    readonly min: number;
    readonly minExclusive?: boolean;
    readonly max: number;
  },
): FlagNumber {
  const kind = bounds.integer ? 'a whole number' : 'a number';
  const range = `${bounds.minExclusive === true ? '>' : '>='} ${bounds.min}${
    bounds.max === Number.MAX_SAFE_INTEGER ? '' : ` and <= ${bounds.max}`
  }`;
  const expected = `must be ${kind} ${range}, in decimal`;
  const text = raw.trim();
  if (!DECIMAL.test(text)) return { ok: false, message: expected };
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false, message: `too large (${expected})` };
  if (bounds.integer && !Number.isInteger(value)) return { ok: false, message: expected };
  if (bounds.integer && !Number.isSafeInteger(value)) {
    return { ok: false, message: `too large to be exact (${expected})` };
  }
  const belowMin = bounds.minExclusive === true ? value <= bounds.min : value < bounds.min;
  if (belowMin || value > bounds.max) return { ok: false, message: expected };
  return { ok: true, value };
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether `host` can be a bind address: an IPv4/IPv6 literal or a host name. */
export function isBindHost(host: string): boolean {
  return isIP(host) !== 0 || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
}
