/**
 * The client's limits and credentials against real HTTP(S) servers on 127.0.0.0/8: an upstream that
 * redirects elsewhere, one that answers without end, one that checks a bearer token, basic auth or a client
 * certificate. They are plain node servers playing a misbehaving or strict upstream, not an imitation of
 * Prometheus (they evaluate nothing; the real Prometheus tests are prometheus.int.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The local cluster's throw-away PKI maker (openssl), not part of local-cluster's public face.
import { makePki } from '../local-cluster/certs.js';
import { createPrometheusClient } from './client.js';
import { createCredentialReader } from './credentials.js';

const OK_BODY = JSON.stringify({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] },
});
const TENANT = 'tenant-s3cret-42';
const TOKEN = 'bearer-s3cret-token-9d1e';

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse, seen: Seen) => void,
  host = '127.0.0.1',
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { headers: request.headers, body };
      seen.push(entry);
      handler(request, response, entry);
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, seen, server };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('redirects are not followed', () => {
  let elsewhere: Awaited<ReturnType<typeof listen>>;
  let redirecting: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    // Another host: 127.0.0.2 is loopback too, but not the host the client was configured with.
    elsewhere = await listen((_request, response) => response.end(OK_BODY), '127.0.0.2');
    redirecting = await listen((request, response) => {
      const status = request.url?.includes('same') ? 302 : 307;
      const location = request.url?.includes('same')
        ? '/api/v1/query'
        : `http://collector:${TOKEN}@127.0.0.2:${new URL(elsewhere.url).port}/api/v1/query`;
      response.writeHead(status, { Location: location }).end();
    });
  });
  afterAll(async () => {
    await close(redirecting.server);
    await close(elsewhere.server);
  });

  it.each([
    ['to another host (307 keeps the method, the body and the headers)', '', 307],
    ['within the same host', '/same', 302],
  ])('%s: an error naming the redirect; the other host sees nothing', async (_name, path, status) => {
    const client = createPrometheusClient({
      url: `${redirecting.url}${path}`,
      timeoutMs: 2000,
      headers: { 'X-Scope-OrgID': TENANT },
    });
    const outcome = await client.query('sum(up{namespace="team-a"})');
    expect(outcome).toMatchObject({ kind: 'error', errorClass: 'config', reason: 'redirect' });
    expect(outcome.kind === 'error' ? outcome.message : '').toContain(`HTTP ${status}`);
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
    expect(JSON.stringify(outcome)).not.toContain(TENANT);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('the size of an answer is bounded', () => {
  let sentBytes = 0;
  let upstream: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    // Streams an answer of 400 MB (the issue's case) as fast as the client reads it.
    upstream = await listen((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"status":"success","data":{"resultType":"vector","result":[');
      const item = `${JSON.stringify({ metric: { pod: 'p'.repeat(200) }, value: [1, '1'] })},`;
      const chunk = item.repeat(Math.ceil(65536 / item.length));
      const total = 400 * 1024 * 1024;
      const pump = (): void => {
        while (sentBytes < total) {
          sentBytes += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end(']}}');
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
  });
  afterAll(() => close(upstream.server));

  it.each([
    ['the default limit (16 MiB)', undefined, 16 * 1024 * 1024],
    ['a limit of 1 MiB', 1024 * 1024, 1024 * 1024],
  ])('%s: refused with a clear error, the rest never read', async (_name, maxResponseBytes, limit) => {
    sentBytes = 0;
    const client = createPrometheusClient({
      url: upstream.url,
      timeoutMs: 20_000,
      ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
    });
    const outcome = await client.query('up');
    expect(outcome).toMatchObject({ kind: 'error', errorClass: 'config', reason: 'tooLarge' });
    expect(outcome.kind === 'error' ? outcome.message : '').toContain(`larger than ${limit} bytes`);
    // The server stops once the client hangs up: far less than the 400 MB it would send.
    expect(sentBytes).toBeLessThan(limit + 32 * 1024 * 1024);
    process.stdout.write(
      `size limit ${limit} B: the server wrote ${(sentBytes / 1048576).toFixed(1)} MiB of 400 MiB before the client hung up\n`,
    );
  });
});

describe('credentials from files, re-read when they change', () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k-siss-cred-'));
    // Answers 401 echoing what it got (as some auth proxies do) unless the token is the current one.
    upstream = await listen((request, response) => {
      const authorization = request.headers.authorization ?? '';
      if (authorization === `Bearer ${TOKEN}-2` || authorization.startsWith('Basic ')) {
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(OK_BODY);
        return;
      }
      response.writeHead(401, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          status: 'error',
          errorType: 'unauthorized',
          error: `bad token: ${authorization}`,
        }),
      );
    });
  });
  afterAll(async () => {
    await close(upstream.server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bearer token file: sent as Authorization, a new token is used once the file changes', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}-1\n`);
    const secrets: string[] = [];
    const client = createPrometheusClient({
      url: upstream.url,
      timeoutMs: 2000,
      credentials: createCredentialReader({
        auth: { kind: 'bearer', token: { file } },
        onSecret: (value) => secrets.push(value),
      }),
    });
    const refused = await client.query('up');
    expect(refused).toMatchObject({ kind: 'error', reason: 'unauthorized' });
    // Prometheus's answer echoed the token: the message keeps the answer but not the token.
    expect(refused.kind === 'error' ? refused.message : '').toContain('bad token: [redacted]');
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
    expect(upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}-1`);

    // The kubelet swaps a mounted Secret's file; a rewrite with a new time stands for it here.
    writeFileSync(file, `${TOKEN}-2\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await client.query('up')).toMatchObject({ kind: 'ok' });
    expect(upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}-2`);
    expect(secrets).toEqual(expect.arrayContaining([`${TOKEN}-1`, `${TOKEN}-2`, `Bearer ${TOKEN}-2`]));
  });

  it("the URL's user and password: sent as Basic, replaced by prometheusAuth, echoed back scrubbed", async () => {
    const base = new URL(upstream.url);
    const withUserinfo = `http://k-siss:${TOKEN}@${base.host}`;
    const plain = createPrometheusClient({ url: withUserinfo, timeoutMs: 2000 });
    expect(plain.queryUrl).toBe(`${upstream.url}/api/v1/query`);
    expect(await plain.query('up')).toMatchObject({ kind: 'ok' });
    const basic = `Basic ${Buffer.from(`k-siss:${TOKEN}`).toString('base64')}`;
    expect(upstream.seen.at(-1)?.headers.authorization).toBe(basic);

    const file = join(dir, 'token-over-url');
    writeFileSync(file, 'wrong-token\n');
    const withAuth = createPrometheusClient({
      url: withUserinfo,
      timeoutMs: 2000,
      credentials: createCredentialReader({ auth: { kind: 'bearer', token: { file } } }),
    });
    const refused = await withAuth.query('up');
    expect(upstream.seen.at(-1)?.headers.authorization).toBe('Bearer wrong-token');
    expect(refused).toMatchObject({ kind: 'error', reason: 'unauthorized' });
    expect(JSON.stringify(refused)).not.toContain('wrong-token');
  });

  it('basic auth with a password file', async () => {
    const file = join(dir, 'password');
    writeFileSync(file, 'pa55-w0rd\n');
    const client = createPrometheusClient({
      url: upstream.url,
      timeoutMs: 2000,
      credentials: createCredentialReader({
        auth: { kind: 'basic', username: 'k-siss', password: { file } },
      }),
    });
    expect(await client.query('up')).toMatchObject({ kind: 'ok' });
    expect(upstream.seen.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from('k-siss:pa55-w0rd').toString('base64')}`,
    );
  });

  it('a missing file is a config error naming the file, and nothing is sent', async () => {
    const before = upstream.seen.length;
    const client = createPrometheusClient({
      url: upstream.url,
      timeoutMs: 2000,
      credentials: createCredentialReader({
        auth: { kind: 'bearer', token: { file: join(dir, 'absent') } },
      }),
    });
    const outcome = await client.query('up');
    expect(outcome).toMatchObject({ kind: 'error', errorClass: 'config', reason: 'credentials' });
    expect(outcome.kind === 'error' ? outcome.message : '').toBe(
      `cannot read the bearer token file ${join(dir, 'absent')} (ENOENT)`,
    );
    expect(upstream.seen.length).toBe(before);
  });

  it('a token from a Secret is read again after its TTL', async () => {
    let now = 0;
    const reads: string[] = [];
    let value = `${TOKEN}-1`;
    const reader = createCredentialReader({
      auth: { kind: 'bearer', token: { secret: { name: 'prom', key: 'token' } } },
      readSecret: async (ref) => {
        reads.push(`${ref.name}/${ref.key}`);
        return value;
      },
      secretTtlMs: 60_000,
      nowMs: () => now,
    });
    expect(await reader.authorization()).toBe(`Bearer ${TOKEN}-1`);
    value = `${TOKEN}-2`;
    now = 59_000;
    expect(await reader.authorization()).toBe(`Bearer ${TOKEN}-1`);
    now = 60_000;
    expect(await reader.authorization()).toBe(`Bearer ${TOKEN}-2`);
    expect(reads).toEqual(['prom/token', 'prom/token']);
  });
});

describe('TLS: a CA bundle and a client certificate', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let pki: ReturnType<typeof makePki>;
  let clientCert: string;
  let clientKey: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k-siss-tls-'));
    pki = makePki(dir);
    // A client certificate from the same throw-away CA.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'client.key',
        '-out',
        'client.crt',
        '-days',
        '1',
        '-subj',
        '/CN=k-siss',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-addext',
        'extendedKeyUsage=clientAuth',
        '-addext',
        'basicConstraints=critical,CA:FALSE',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    clientCert = join(dir, 'client.crt');
    clientKey = join(dir, 'client.key');
    server = createHttpsServer(
      {
        cert: readFileSync(pki.servingCert),
        key: readFileSync(pki.servingKey),
        ca: readFileSync(pki.caCert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_request, response) => response.writeHead(200, { 'Content-Type': 'application/json' }).end(OK_BODY),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('with the CA bundle and the client certificate the query succeeds', async () => {
    const client = createPrometheusClient({
      url,
      timeoutMs: 3000,
      credentials: createCredentialReader({
        tls: { caFile: pki.caCert, certFile: clientCert, keyFile: clientKey },
      }),
    });
    expect(await client.query('up')).toMatchObject({ kind: 'ok' });
  });

  it.each([
    ['without the CA bundle the server is not trusted', () => ({ certFile: clientCert, keyFile: clientKey })],
    ['without the client certificate the server refuses', () => ({ caFile: pki.caCert })],
  ])('%s', async (_name, tls) => {
    const client = createPrometheusClient({
      url,
      timeoutMs: 3000,
      credentials: createCredentialReader({ tls: tls() }),
    });
    expect(await client.query('up')).toMatchObject({ kind: 'error', errorClass: 'transient' });
  });
});
