import type { LlmModel } from '../service-model/index.js';

/**
 * `--model-error F`: the simulated serving runs F times as fast as the model the profile was measured on.
 * Every engine iteration takes 1/F of its time: `bandwidthEfficiency` and `mfu` are multiplied by F (memory
 * and compute time of an iteration divided by F) and `iterationOverheadMs` divided by F. Memory, the KV
 * cache, the batch limits and the context length are unchanged: the same requests fit, they run faster or
 * slower. F = 1 is the model itself (the same object).
 */
export function servingModelOf(model: LlmModel, modelError: number): LlmModel {
  const problem = modelErrorProblem(modelError);
  if (problem !== undefined) throw new Error(`model error = ${String(modelError)}: ${problem}`);
  if (modelError === 1) return model;
  return {
    ...model,
    name: `${model.name} (x${modelError} speed)`,
    bandwidthEfficiency: model.bandwidthEfficiency * modelError,
    mfu: model.mfu * modelError,
    iterationOverheadMs: model.iterationOverheadMs / modelError,
  };
}

/** Why a model error is unusable (undefined when it is fine): it must be a finite number > 0. */
export function modelErrorProblem(modelError: number): string | undefined {
  return Number.isFinite(modelError) && modelError > 0 ? undefined : 'must be a finite number > 0';
}
