import { z } from 'zod';
import type { CredentialSource, GlobalSettings, PrometheusAuth, PrometheusTls } from './types.js';

/**
 * Prometheus credentials in the global settings (pure): `_global.prometheusAuth` / `prometheusTls` and the
 * environment, shaped like Prometheus's own client config (`authorization.credentials_file`,
 * `basic_auth.password_file`, `tls_config.ca_file/cert_file/key_file`). The credentials themselves never
 * sit in the ConfigMap: only a file path or the name and key of a Secret in the controller's namespace.
 */

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

const path = () =>
  z
    .string({ error: 'must be a file path' })
    .min(1, { error: 'must not be empty' })
    .regex(/^\//, { error: 'must be an absolute path' });

const secretRef = z.strictObject(
  {
    name: z
      .string({ error: 'must be a Secret name' })
      .max(253, { error: 'must be at most 253 characters' })
      .regex(SECRET_NAME, { error: 'must be a Secret name (lower-case DNS subdomain)' }),
    key: z
      .string({ error: 'must be a Secret key' })
      .max(253, { error: 'must be at most 253 characters' })
      .regex(SECRET_KEY, { error: 'must be a Secret key (letters, digits, -, _ and .)' }),
  },
  { error: 'must be {name, key} of a Secret in the controller namespace' },
);

const basicAuthSchema = z
  .strictObject({
    username: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    passwordFile: path().optional(),
    passwordSecret: secretRef.optional(),
  })
  .refine((b) => (b.passwordFile === undefined) !== (b.passwordSecret === undefined), {
    error: 'needs exactly one of passwordFile, passwordSecret',
  });

/** `_global.prometheusAuth`: exactly one of its fields. */
export const prometheusAuthSchema = z
  .strictObject({
    bearerTokenFile: path().optional(),
    bearerTokenSecret: secretRef.optional(),
    basicAuth: basicAuthSchema.optional(),
  })
  .refine(
    (a) =>
      [a.bearerTokenFile, a.bearerTokenSecret, a.basicAuth].filter((field) => field !== undefined).length ===
      1,
    { error: 'needs exactly one of bearerTokenFile, bearerTokenSecret, basicAuth' },
  )
  .transform((a): PrometheusAuth => {
    if (a.basicAuth !== undefined) {
      const b = a.basicAuth;
      const password: CredentialSource =
        b.passwordFile !== undefined
          ? { file: b.passwordFile }
          : { secret: b.passwordSecret ?? secretFallback };
      return { kind: 'basic', username: b.username, password };
    }
    return {
      kind: 'bearer',
      token:
        a.bearerTokenFile !== undefined
          ? { file: a.bearerTokenFile }
          : { secret: a.bearerTokenSecret ?? secretFallback },
    };
  });

// Unreachable after the refinements above; keeps the transform total without a non-null assertion.
const secretFallback = { name: '', key: '' } as const;

/** `_global.prometheusTls`: PEM files; a client certificate comes with its key. */
export const prometheusTlsSchema = z
  .strictObject({ caFile: path().optional(), certFile: path().optional(), keyFile: path().optional() })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
    error: 'certFile and keyFile go together',
  })
  .transform((t): PrometheusTls => ({
    ...(t.caFile === undefined ? {} : { caFile: t.caFile }),
    ...(t.certFile === undefined ? {} : { certFile: t.certFile }),
    ...(t.keyFile === undefined ? {} : { keyFile: t.keyFile }),
  }));

/** Environment variables of the credentials (the same as the `_global` fields). */
export const CREDENTIAL_ENV = {
  bearerTokenFile: 'PROMETHEUS_BEARER_TOKEN_FILE',
  basicAuthUsername: 'PROMETHEUS_BASIC_AUTH_USERNAME',
  basicAuthPasswordFile: 'PROMETHEUS_BASIC_AUTH_PASSWORD_FILE',
  caFile: 'PROMETHEUS_CA_FILE',
  certFile: 'PROMETHEUS_CERT_FILE',
  keyFile: 'PROMETHEUS_KEY_FILE',
} as const;

interface EnvIssue {
  readonly key: string;
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

const envValue = (env: Readonly<Record<string, string | undefined>>, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
};

/** The credential settings of the environment; problems name the variable. */
export function credentialsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  issues: EnvIssue[],
): Pick<GlobalSettings, 'prometheusAuth' | 'prometheusTls'> {
  const e = CREDENTIAL_ENV;
  const raw = Object.fromEntries(Object.entries(e).map(([field, name]) => [field, envValue(env, name)]));
  const auth =
    raw.bearerTokenFile !== undefined || raw.basicAuthUsername !== undefined || raw.basicAuthPasswordFile
      ? prometheusAuthSchema.safeParse({
          ...(raw.bearerTokenFile === undefined ? {} : { bearerTokenFile: raw.bearerTokenFile }),
          ...(raw.basicAuthUsername === undefined && raw.basicAuthPasswordFile === undefined
            ? {}
            : { basicAuth: { username: raw.basicAuthUsername, passwordFile: raw.basicAuthPasswordFile } }),
        })
      : undefined;
  const tls =
    raw.caFile !== undefined || raw.certFile !== undefined || raw.keyFile !== undefined
      ? prometheusTlsSchema.safeParse({
          ...(raw.caFile === undefined ? {} : { caFile: raw.caFile }),
          ...(raw.certFile === undefined ? {} : { certFile: raw.certFile }),
          ...(raw.keyFile === undefined ? {} : { keyFile: raw.keyFile }),
        })
      : undefined;
  // Issues without a field of their own (one-of rules) are put on the variable that settles them.
  const envName: Record<string, readonly [string, string | undefined]> = {
    bearerTokenFile: [e.bearerTokenFile, undefined],
    basicAuth: [e.basicAuthPasswordFile, `must be set with ${e.basicAuthUsername}`],
    username: [e.basicAuthUsername, undefined],
    passwordFile: [e.basicAuthPasswordFile, undefined],
    caFile: [e.caFile, undefined],
    certFile: [e.certFile, undefined],
    keyFile: [e.keyFile, undefined],
  };
  const wholes = [
    [auth, e.bearerTokenFile, `not with ${e.basicAuthUsername}/${e.basicAuthPasswordFile}: one or the other`],
    [tls, e.certFile, `${e.certFile} and ${e.keyFile} go together`],
  ] as const;
  for (const [result, wholeName, wholeMessage] of wholes) {
    if (result === undefined || result.success) continue;
    for (const issue of result.error.issues) {
      const field = issue.path.length === 0 ? undefined : String(issue.path[issue.path.length - 1]);
      const [name, message] =
        field === undefined ? [wholeName, wholeMessage] : (envName[field] ?? [wholeName, undefined]);
      issues.push({ key: 'env', path: `.${name}`, value: env[name], message: message ?? issue.message });
    }
  }
  return {
    ...(auth?.success === true ? { prometheusAuth: auth.data } : {}),
    ...(tls?.success === true ? { prometheusTls: tls.data } : {}),
  };
}

/** A stable key of every setting a Prometheus client is built from: a change means a new client. */
export function prometheusSettingsKey(global: GlobalSettings): string {
  return JSON.stringify([
    global.prometheusUrl,
    global.prometheusTimeoutMs,
    global.prometheusHeaders,
    global.prometheusAuth ?? null,
    global.prometheusTls ?? null,
  ]);
}
