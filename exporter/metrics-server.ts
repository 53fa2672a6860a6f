import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

/** The result of one health or readiness check. */
export type ProbeResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string };

/** A named check behind /healthz or /readyz (`config`, `apiserver`, ...). */
export interface NamedCheck {
  readonly name: string;
  readonly check: () => ProbeResult | Promise<ProbeResult>;
}

/** Where and what the metrics server serves. */
export interface MetricsServerOptions {
  readonly registry: Registry;
  /** Bind address; 127.0.0.1 by default, `0.0.0.0` in a pod. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Checks behind /healthz: the process is alive and its loop is not stuck. */
  readonly livenessChecks?: readonly NamedCheck[];
  /** Checks behind /readyz: e.g. the config is loaded and the API server answers. */
  readonly readinessChecks?: readonly NamedCheck[];
  /**
   * Told each failed check with its message. The probes answer only the check's name and machine reason
   * (anyone who reaches the port reads them); the detail (an API server's error text) goes here, to the log.
   */
  readonly onCheckFailed?: (
    name: string,
    result: { readonly reason: string; readonly message: string },
  ) => void;
}

/** A running metrics server. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `/metrics` from `registry`, `/healthz` and `/readyz` from the given checks. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      options.onCheckFailed?.('server', { reason: 'handlerThrew', message: errorMessage(error) });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  // Probes and scrapes are short; do not let idle keep-alive sockets hold close() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(options: MetricsServerOptions, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics': {
      const body = await options.registry.metrics();
      response.writeHead(200, { 'content-type': options.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    case '/healthz':
    case '/livez':
      await respondChecks(options.livenessChecks ?? [], request, response, options.onCheckFailed);
      return;
    case '/readyz':
      await respondChecks(options.readinessChecks ?? [], request, response, options.onCheckFailed);
      return;
    default:
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found: try /metrics, /healthz or /readyz\n');
  }
}

/**
 * Runs the checks and answers like the Kubernetes API server: `[+]name ok` / `[-]name failed: reason`, the
 * detail withheld (as the API server's `reason withheld`) and handed to `onCheckFailed`.
 */
async function respondChecks(
  checks: readonly NamedCheck[],
  request: IncomingMessage,
  response: ServerResponse,
  onCheckFailed: MetricsServerOptions['onCheckFailed'],
) {
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, ProbeResult]> => {
      try {
        return [name, await check()];
      } catch (error) {
        return [name, { ok: false, reason: 'checkThrew', message: errorMessage(error) }];
      }
    }),
  );
  const ok = results.every(([, result]) => result.ok);
  for (const [name, result] of results) if (!result.ok) onCheckFailed?.(name, result);
  const lines = results.map(([name, result]) =>
    result.ok ? `[+]${name} ok` : `[-]${name} failed: ${result.reason}`,
  );
  lines.push(ok ? 'ok' : 'not ok');
  response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(request.method === 'HEAD' ? undefined : `${lines.join('\n')}\n`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
