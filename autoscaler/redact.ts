import type { ConfigIssue, GlobalSettings } from './types.js';

/**
 * Redaction of credentials (pure). Prometheus credentials may sit in the URL's userinfo, in the configured
 * headers (Authorization, a tenant header, any other) or in files and Secrets; none of them may reach a log
 * line, an Event, a status or an error message. Known places redact by structure (`redactUrl`,
 * `redactHeaders`, `redactConfigIssue`); `createSecretRedactor` scrubs the known secret values from any text
 * as a last line of defence (log lines, Event messages, Prometheus error texts).
 */

/** What a redacted value is shown as. */
export const REDACTED = '[redacted]';

/** A URL with its userinfo (user and password) replaced; anything that is not a URL is left as it is. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable: still cut a `scheme://user:pass@` prefix by hand.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`);
  }
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace('://', `://${REDACTED}@`);
}

/** The header names with every value redacted (names are not secret; values may all be). */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}

/** `_global` fields whose bad values may be shown: none of them can hold a credential. */
const SHOWN_GLOBAL_FIELDS = [
  '.intervalSeconds',
  '.namespaces',
  '.prometheusTimeoutMs',
  '.ignore',
  '.maxConcurrentServices',
  // Paths and Secret names, never the credential itself.
  '.prometheusAuth.bearerTokenFile',
  '.prometheusAuth.bearerTokenSecret',
  '.prometheusAuth.basicAuth.username',
  '.prometheusAuth.basicAuth.passwordFile',
  '.prometheusAuth.basicAuth.passwordSecret',
  '.prometheusTls',
] as const;

const isShownGlobalPath = (path: string): boolean =>
  SHOWN_GLOBAL_FIELDS.some(
    (field) => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`),
  );

/** Paths whose value is a Prometheus URL (redacted to the URL without its userinfo). */
const URL_PATHS: ReadonlyArray<readonly [string, string]> = [
  ['_global', '.prometheusUrl'],
  ['env', '.PROMETHEUS_URL'],
];

/**
 * A config issue safe to log and to put into an Event: in `_global` only the values of fields that cannot
 * hold a credential are kept (deny by default: a YAML error, a bad header, a misspelt field and the whole
 * document are shown as `[redacted]`), as in an unknown reserved key; a URL keeps all but its userinfo.
 */
export function redactConfigIssue(issue: ConfigIssue): ConfigIssue {
  if (URL_PATHS.some(([key, path]) => issue.key === key && issue.path === path)) {
    return typeof issue.value === 'string' ? { ...issue, value: redactUrl(issue.value) } : issue;
  }
  if (issue.value === undefined) return issue;
  // A misspelt reserved key (`_globals`) may hold what `_global` would: its value is never shown.
  if (issue.key.startsWith('_') && !['_global', '_tiers', '_profiles'].includes(issue.key)) {
    return { ...issue, value: REDACTED };
  }
  if (issue.key !== '_global' || isShownGlobalPath(issue.path)) return issue;
  return { ...issue, value: REDACTED };
}

/** Header names that carry credentials by convention (a warning when they sit in the ConfigMap). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|passw|api-?key|auth/i;

/** Where the ConfigMap's `_global` holds credentials in plain text (field paths; never the values). */
export function credentialsInConfigMap(
  global: Pick<GlobalSettings, 'prometheusHeaders' | 'prometheusUrl'>,
  urlFromConfigMap: boolean,
): string[] {
  const found = Object.keys(global.prometheusHeaders)
    .filter((name) => CREDENTIAL_HEADER.test(name))
    .map((name) => `_global.prometheusHeaders.${name}`);
  if (urlFromConfigMap && redactUrl(global.prometheusUrl) !== global.prometheusUrl) {
    found.push('_global.prometheusUrl (user and password in the URL)');
  }
  return found;
}

/**
 * The secret values of the Prometheus settings: every header value and the URL's password (a user name is
 * not secret, and scrubbing it, `k-siss` say, would blank out every word that holds it).
 */
export function secretValuesOf(
  global: Pick<GlobalSettings, 'prometheusHeaders' | 'prometheusUrl'> | undefined,
): string[] {
  if (global === undefined) return [];
  const values = Object.values(global.prometheusHeaders).map((value) => value.trim());
  try {
    const { username, password } = new URL(global.prometheusUrl);
    if (password !== '') {
      values.push(password, safeDecode(password));
      // The Basic credential the client makes of it, as a server may echo it.
      values.push(Buffer.from(`${safeDecode(username)}:${safeDecode(password)}`).toString('base64'));
    }
  } catch {
    // Not a URL: nothing to take from it.
  }
  return values;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Values shorter than this are not scrubbed from free text: a two-letter tenant would blank out every
 * word that contains it. Known places redact them by structure whatever their length.
 */
export const MIN_SCRUBBED_LENGTH = 4;

/** Replaces every known secret value in a text. */
export interface SecretRedactor {
  redact(text: string): string;
}

/**
 * A redactor over the secret values `secrets()` returns now (read on every call, so a config or a
 * credential file that changes is followed). Each value is also matched in its JSON-escaped form, since
 * log lines are JSON.
 */
export function createSecretRedactor(secrets: () => Iterable<string>): SecretRedactor {
  return {
    redact(text: string): string {
      const forms = new Set<string>();
      for (const secret of secrets()) {
        if (secret.length < MIN_SCRUBBED_LENGTH) continue;
        forms.add(secret);
        forms.add(JSON.stringify(secret).slice(1, -1));
      }
      let out = text;
      // Longest first, so a secret that contains another is replaced whole.
      for (const form of [...forms].sort((a, b) => b.length - a.length)) {
        if (form.length >= MIN_SCRUBBED_LENGTH && out.includes(form)) out = out.split(form).join(REDACTED);
      }
      return out;
    },
  };
}
