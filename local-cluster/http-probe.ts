import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How to reach a loopback endpoint. */
export interface ProbeOptions {
  /** PEM CA to verify the server with (HTTPS). */
  readonly ca?: string | Buffer;
  /** Skip verification: only for the self-signed health ports of controller-manager and scheduler. */
  readonly insecure?: boolean;
  readonly bearerToken?: string;
  readonly timeoutMs?: number;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A response: status code and body text. */
export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
}

/** One HTTP(S) request to 127.0.0.1; refuses any other host. */
export function probe(url: string, options: ProbeOptions = {}): Promise<ProbeResponse> {
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost'].includes(parsed.hostname) && !parsed.hostname.startsWith('127.')) {
    return Promise.reject(new Error(`probe ${url}: only loopback addresses may be contacted`));
  }
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.bearerToken !== undefined) headers.authorization = `Bearer ${options.bearerToken}`;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolveProbe, reject) => {
    const common = { method: options.method ?? 'GET', headers, timeout: options.timeoutMs ?? 5000 };
    const req =
      parsed.protocol === 'https:'
        ? httpsRequest(parsed, {
            ...common,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            rejectUnauthorized: options.insecure !== true,
          })
        : httpRequest(parsed, common);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolveProbe({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`probe ${url}: timed out`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
