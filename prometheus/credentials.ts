import { readFile, stat } from 'node:fs/promises';
import type { CredentialSource, PrometheusAuth, PrometheusTls, SecretKeyRef } from '../autoscaler/index.js';

/**
 * Prometheus credentials read where they live (shell): files, re-read when they change (a mounted Secret
 * is swapped by the kubelet), and Secrets through the API, re-read after `secretTtlMs`. The values are
 * handed to the client per request and to `onSecret`, so whatever could print them can scrub them; an error
 * names the file or Secret, never the content.
 */

/** TLS material for an https Prometheus (PEM text). */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The credentials of the next request. Throws a `CredentialError` when one cannot be read. */
export interface CredentialReader {
  /** The `Authorization` header value, or undefined without `prometheusAuth`. */
  authorization(): Promise<string | undefined>;
  /** TLS material, or undefined without `prometheusTls`. */
  tls(): Promise<TlsMaterial | undefined>;
}

/** A credential could not be read (a config error: the message names the file or Secret). */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

/** Reads one key of a Secret in the controller's namespace (decoded). */
export type SecretReader = (ref: SecretKeyRef) => Promise<string>;

export interface CredentialReaderOptions {
  readonly auth?: PrometheusAuth;
  readonly tls?: PrometheusTls;
  /** Needed for a credential from a Secret. */
  readonly readSecret?: SecretReader;
  /** A Secret is read again after this long (default 60 s, as the kubelet refreshes mounted Secrets). */
  readonly secretTtlMs?: number;
  readonly nowMs?: () => number;
  /** Told every secret value read (and the header built from it), for redaction. */
  readonly onSecret?: (value: string) => void;
}

const DEFAULT_SECRET_TTL_MS = 60_000;

/** A file's content, read again only when its identity, size or times change. */
function createFileCache(): (path: string, what: string) => Promise<string> {
  const cache = new Map<string, { readonly version: string; readonly text: string }>();
  return async (path, what) => {
    try {
      const info = await stat(path);
      const version = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
      const hit = cache.get(path);
      if (hit?.version === version) return hit.text;
      const text = await readFile(path, 'utf8');
      cache.set(path, { version, text });
      return text;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new CredentialError(`cannot read the ${what} file ${path} (${String(code ?? error)})`, {
        cause: error,
      });
    }
  };
}

/** Builds the reader of one set of credential settings. */
export function createCredentialReader(options: CredentialReaderOptions): CredentialReader {
  const readFileCached = createFileCache();
  const secrets = new Map<string, { readonly atMs: number; readonly text: string }>();
  const nowMs = options.nowMs ?? Date.now;
  const ttlMs = options.secretTtlMs ?? DEFAULT_SECRET_TTL_MS;
  const remember = (value: string): string => {
    if (value !== '') options.onSecret?.(value);
    return value;
  };

  const readSource = async (source: CredentialSource, what: string): Promise<string> => {
    if ('file' in source) return remember((await readFileCached(source.file, what)).trim());
    const { name, key } = source.secret;
    const id = `${name}/${key}`;
    const hit = secrets.get(id);
    if (hit !== undefined && nowMs() - hit.atMs < ttlMs) return hit.text;
    if (options.readSecret === undefined) {
      throw new CredentialError(`the ${what} is in Secret ${name} (key ${key}), but no Secret reader is set`);
    }
    let text: string;
    try {
      text = (await options.readSecret(source.secret)).trim();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CredentialError(`cannot read the ${what} from Secret ${name} (key ${key}): ${reason}`, {
        cause: error,
      });
    }
    secrets.set(id, { atMs: nowMs(), text });
    return remember(text);
  };

  return {
    async authorization() {
      const auth = options.auth;
      if (auth === undefined) return undefined;
      if (auth.kind === 'bearer') {
        const token = await readSource(auth.token, 'bearer token');
        if (token === '') throw new CredentialError('the bearer token is empty');
        return remember(`Bearer ${token}`);
      }
      const password = await readSource(auth.password, 'basic auth password');
      const encoded = Buffer.from(`${auth.username}:${password}`).toString('base64');
      remember(encoded);
      return remember(`Basic ${encoded}`);
    },
    async tls() {
      const tls = options.tls;
      if (tls === undefined) return undefined;
      const [ca, cert, key] = await Promise.all([
        tls.caFile === undefined ? undefined : readFileCached(tls.caFile, 'CA bundle'),
        tls.certFile === undefined ? undefined : readFileCached(tls.certFile, 'client certificate'),
        tls.keyFile === undefined ? undefined : readFileCached(tls.keyFile, 'client key'),
      ]);
      if (key !== undefined) remember(key.trim());
      return {
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined ? {} : { cert }),
        ...(key === undefined ? {} : { key }),
      };
    },
  };
}
