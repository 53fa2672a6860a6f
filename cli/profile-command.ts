import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_MODEL } from '../service-model/index.js';
import {
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  PROFILE_DEFAULTS,
  ProfileError,
  parseKsissSimConfig,
  profileOf,
  profileYaml,
  type ProfileResult,
} from '../simulator/index.js';
import { UsageError, modelOf, positiveNumber, readText } from './simulate-command.js';

/** Options as commander hands them over (strings; validated here). */
interface RawProfileOptions {
  readonly config?: string;
  readonly tiers?: string;
  readonly model?: string;
  readonly name?: string;
  readonly sloTtftMs?: string;
  readonly sloTtftPerTokenMs?: string;
  readonly sloTpotMs?: string;
}

/**
 * The profile as printed: comment lines saying how it was measured (mixes, SLOs, the rate each tier reached),
 * then the YAML value of the ConfigMap key `_profiles`.
 */
export function formatProfile(result: ProfileResult, sloText: string): string {
  const [m1, m2] = result.mixes;
  const lines = [
    `# k-siss profile: one replica per tier on the service model, Poisson arrivals, 99% of requests within ${sloText}.`,
    `# Mixes: ${m1.name} ${m1.promptTokens} prompt / ${m1.outputTokens} output tokens, ${m2.name} ${m2.promptTokens} / ${m2.outputTokens}.`,
    ...result.tiers.map(
      (t) =>
        `# ${t.tier}: ${t.ratesPerS[0].toFixed(3)} req/s ${m1.name}, ${t.ratesPerS[1].toFixed(3)} req/s ${m2.name}`,
    ),
    '# Put what follows under the ConfigMap key _profiles (merged with any other profiles there).',
  ];
  return `${lines.join('\n')}\n${profileYaml(result.profile)}`;
}

function profileAction(raw: RawProfileOptions): void {
  const slo = {
    ttftMs: positiveNumber('--slo-ttft-ms', raw.sloTtftMs, DEFAULT_SLO.ttftMs),
    ttftPerPromptTokenMs: positiveNumber(
      '--slo-ttft-per-token-ms',
      raw.sloTtftPerTokenMs,
      DEFAULT_SLO.ttftPerPromptTokenMs,
      true,
    ),
    tpotMs: positiveNumber('--slo-tpot-ms', raw.sloTpotMs, DEFAULT_SLO.tpotMs),
  };
  const source = raw.config === undefined ? 'default k-siss config' : `--config ${raw.config}`;
  const configText =
    raw.config === undefined
      ? readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8')
      : readText('--config', raw.config);
  const ksiss = parseKsissSimConfig(configText, source, slo, { fillSlo: true });
  if (!ksiss.ok) throw new UsageError(ksiss.message);
  const tiers =
    raw.tiers === undefined
      ? ksiss.value.config.settings.ladder
      : raw.tiers
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
  if (tiers.length === 0) throw new UsageError(`--tiers = ${JSON.stringify(raw.tiers)}: names no tier`);
  if (raw.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(raw.name)) {
    throw new UsageError(
      `--name = ${JSON.stringify(raw.name)}: must be letters, digits, '.', '_' or '-' (a YAML key)`,
    );
  }
  const model = modelOf(raw.model) ?? DEFAULT_MODEL;
  let result: ProfileResult;
  try {
    result = profileOf(ksiss.value.catalog, model, slo, tiers, {
      ...(raw.name === undefined ? {} : { name: raw.name }),
    });
  } catch (error) {
    if (error instanceof ProfileError) {
      throw new UsageError(`${raw.tiers === undefined ? `${source}: ladder` : '--tiers'}: ${error.message}`);
    }
    throw error;
  }
  const sloText = `TTFT <= ${slo.ttftMs} ms + ${slo.ttftPerPromptTokenMs} ms/prompt token and TPOT <= ${slo.tpotMs} ms`;
  process.stdout.write(formatProfile(result, sloText));
}

/** Registers `k-siss profile`: benchmarks each tier once on the service model and prints the `_profiles` YAML. */
export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description(
      `benchmark each tier once on the service model (two reference mixes, ${PROFILE_DEFAULTS.targetAttainment * 100}% within the SLOs) and print the sizing profile for the ConfigMap key _profiles`,
    )
    .option(
      '--config <file>',
      "k-siss ConfigMap whose ladder and tier catalog are profiled (default: the simulator's)",
    )
    .option('--tiers <names>', "comma-separated tiers to profile (default: the config's ladder)")
    .option('--model <file>', 'LLM model overrides (JSON/YAML; see service-model/MODEL.md)')
    .option('--name <name>', "the profile's name, the key under _profiles (default: the model's name)")
    .option('--slo-ttft-ms <n>', `TTFT target base, ms (default ${DEFAULT_SLO.ttftMs})`)
    .option(
      '--slo-ttft-per-token-ms <n>',
      `TTFT allowance per prompt token, ms (default ${DEFAULT_SLO.ttftPerPromptTokenMs})`,
    )
    .option('--slo-tpot-ms <n>', `TPOT target, ms (default ${DEFAULT_SLO.tpotMs})`)
    .action((options: RawProfileOptions) => {
      try {
        profileAction(options);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`k-siss profile: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
