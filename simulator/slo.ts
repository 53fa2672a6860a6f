/**
 * Service-level objectives of a simulation. A request meets them when it was served, its TTFT is at most
 * `ttftMs + promptTokens x ttftPerPromptTokenMs` (long prompts take longer to prefill on any GPU), and its
 * mean time per output token is at most `tpotMs`.
 */
export interface SloTargets {
  readonly ttftMs: number;
  readonly ttftPerPromptTokenMs: number;
  readonly tpotMs: number;
}

/**
 * Defaults, from the service model (MODEL.md): 100 ms per output token is 3.5x the idle step of the
 * smallest tier (mig-1g.10gb, ~29 ms) and about reading speed, so every tier can meet it at some load;
 * 2 s to the first token is ~10x the smallest tier's prefill of a 1,000-token chat prompt; the 0.1 ms per
 * prompt token allowance (10,000 prompt tokens/s) is what a 2g-3g slice prefills, so a 60k-token prompt
 * may take 8 s.
 */
export const DEFAULT_SLO: SloTargets = { ttftMs: 2000, ttftPerPromptTokenMs: 0.1, tpotMs: 100 };

/** The TTFT target of one request, ms. */
export function ttftTargetMs(slo: SloTargets, promptTokens: number): number {
  return slo.ttftMs + promptTokens * slo.ttftPerPromptTokenMs;
}

/** Whether a served request met both targets. */
export function meetsSlo(slo: SloTargets, promptTokens: number, ttftMs: number, tpotMs: number): boolean {
  return ttftMs <= ttftTargetMs(slo, promptTokens) && tpotMs <= slo.tpotMs;
}
