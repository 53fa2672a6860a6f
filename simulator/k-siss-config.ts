import { configDataFromText, formatIssue, parseConfig, type ServiceConfig } from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { unknownSimulatedMetrics } from './k-siss-policy.js';
import type { SloTargets } from './slo.js';

/** The k-siss service block and loop interval a simulation runs with. */
export interface KsissSimConfig {
  readonly config: ServiceConfig;
  readonly catalog: TierCatalog;
  readonly intervalSeconds: number;
}

/** The default config file shipped beside this module. */
export const DEFAULT_KSISS_CONFIG_URL = new URL('./k-siss-sim-config.yaml', import.meta.url);

/**
 * Parses a ConfigMap-shaped YAML (or a bare `data` map) with the core's parseConfig. `fillSlo` replaces
 * `${TPOT_SLO_S}` and `${QUEUE_SLO_S}` (the default file's placeholders) from the simulation's SLOs.
 * The service used is `service` if given, else the only (or first, by name) service of the document.
 */
export function parseKsissSimConfig(
  text: string,
  source: string,
  slo: SloTargets,
  options: { readonly fillSlo: boolean; readonly service?: string },
): { ok: true; value: KsissSimConfig } | { ok: false; message: string } {
  const filled = options.fillSlo
    ? text
        .replaceAll('${TPOT_SLO_S}', String(slo.tpotMs / 1000))
        .replaceAll('${QUEUE_SLO_S}', String(slo.ttftMs / 1000))
    : text;
  const data = configDataFromText(filled);
  if (!data.ok) return { ok: false, message: `${source}: ${data.errors.join('; ')}` };
  const strings = data.value;
  const parsed = parseConfig(strings, {});
  if (parsed.config === undefined) {
    return { ok: false, message: `${source}: ${parsed.issues.map(formatIssue).join('; ')}` };
  }
  const names = [...parsed.config.services.keys()].sort();
  const name = options.service ?? names[0];
  const config = name === undefined ? undefined : parsed.config.services.get(name);
  if (config === undefined) {
    const issues = parsed.issues.map(formatIssue).join('; ');
    return {
      ok: false,
      message: `${source}: no usable service block${options.service ? ` named ${options.service}` : ''}${issues ? ` (${issues})` : ''}`,
    };
  }
  const problems = unknownSimulatedMetrics(config);
  if (problems.length > 0) return { ok: false, message: `${source}: ${problems.join('; ')}` };
  return {
    ok: true,
    value: { config, catalog: parsed.config.catalog, intervalSeconds: parsed.config.global.intervalSeconds },
  };
}
