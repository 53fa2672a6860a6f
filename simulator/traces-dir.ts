import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared LLM traces are: `KSISS_TRACES_DIR`, else `shared/traces` beside the repository (as CI and
 * the developers' machines lay it out), else `/work/shared/traces`.
 */
export function defaultTracesDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['KSISS_TRACES_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const besideRepo = fileURLToPath(new URL('../../shared/traces', import.meta.url));
  return existsSync(besideRepo) ? besideRepo : '/work/shared/traces';
}
