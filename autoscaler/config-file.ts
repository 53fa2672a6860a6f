import { dump } from 'js-yaml';
import { formatValue } from './config.js';
import { loadAllYamlBounded, MAX_DOCUMENT_BYTES } from './bounded-input.js';

/**
 * The `autoscaler-config` data map from a file's text (pure): a ConfigMap manifest (the first `kind:
 * ConfigMap` document of a multi-document file), or just its data map. Values that are not strings (a data
 * map written as plain YAML) are turned back into YAML text, as they would be stored in the ConfigMap.
 */

/** A config file: a ConfigMap manifest holds its 1 MiB of data plus metadata (and kubectl's annotations). */
export const MAX_CONFIG_FILE_BYTES = 2 * MAX_DOCUMENT_BYTES;

/** The data map, or the reasons the text is not one (one line each). */
export type ConfigDataResult =
  | { readonly ok: true; readonly value: Record<string, string> }
  | { readonly ok: false; readonly errors: readonly string[] };

const isObject = (doc: unknown): doc is Record<string, unknown> =>
  doc !== null && typeof doc === 'object' && !Array.isArray(doc);

/** A Kubernetes manifest names its apiVersion and kind (a data map cannot: keys are lower-case names). */
const isManifest = (doc: unknown): doc is Record<string, unknown> =>
  isObject(doc) && 'apiVersion' in doc && 'kind' in doc;

/** `data:` alone (or with `metadata:`) and no metrics under it: a ConfigMap whose header was left out. */
function isHeaderlessConfigMap(doc: Record<string, unknown>): boolean {
  const keys = Object.keys(doc);
  if (!keys.includes('data') || !keys.every((key) => key === 'data' || key === 'metadata')) return false;
  const data = doc['data'];
  // A service named `data` written as plain YAML is a list of metrics or an object with `metrics`.
  return data === null || data === undefined || (isObject(data) && !('metrics' in data));
}

/** Parses a config file's text into the ConfigMap's data map. */
export function configDataFromText(text: string): ConfigDataResult {
  const loaded = loadAllYamlBounded(text, { maxBytes: MAX_CONFIG_FILE_BYTES });
  if (!loaded.ok) return { ok: false, errors: [loaded.message] };
  const documents = loaded.value.filter((doc) => doc !== null && doc !== undefined);
  const configMap = documents.find((doc) => isManifest(doc) && doc['kind'] === 'ConfigMap');
  if (configMap === undefined) {
    const other = documents.find(isManifest);
    if (other !== undefined) {
      return {
        ok: false,
        errors: [
          `kind = ${formatValue(other['kind'])}: not a ConfigMap (give the autoscaler's ConfigMap manifest or its data map)`,
        ],
      };
    }
  }
  const document = configMap ?? (documents.length === 1 ? documents[0] : undefined);
  if (!isObject(document)) {
    return { ok: false, errors: ['not a ConfigMap manifest nor a data map (a YAML object of key: value)'] };
  }
  if (configMap === undefined && isHeaderlessConfigMap(document)) {
    return {
      ok: false,
      errors: [
        'data: a ConfigMap without its header (add apiVersion: v1 and kind: ConfigMap), or give the data map alone',
      ],
    };
  }
  const data = configMap === undefined ? document : (document['data'] ?? {});
  if (!isObject(data)) {
    return { ok: false, errors: [`data = ${formatValue(data)}: must be a map of key: text`] };
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    out[key] = typeof value === 'string' ? value : dump(value);
  }
  return { ok: true, value: out };
}
