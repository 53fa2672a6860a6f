/** Hostile inputs from issue 14, shared by the unit tests and the tests against the real API server. */

/** The issue's recursive alias: a metric block that contains itself. */
export const RECURSIVE_ALIAS_BLOCK = `- &x
  name: ttft
  query: 'histogram_quantile(0.9, rate(ttft_bucket{pod="%s"}[1m]))'
  slo: 1
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
  self: *x
`;

/** Nine levels of nine aliases each: 9^9 (387 million) strings once expanded, 72 aliases written. */
export function aliasBomb(indent = ''): string {
  const lines = [`${indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  let previous = 'a';
  for (const name of 'bcdefghi') {
    lines.push(`${indent}${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    previous = name;
  }
  return `${lines.join('\n')}\n`;
}
