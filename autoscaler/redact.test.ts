import { Writable } from 'node:stream';
import winston from 'winston';
import { credentialsWarning } from './config-watch.js';
import { formatIssue, parseConfig } from './config.js';
import { createLogger } from './logger.js';
import {
  REDACTED,
  createSecretRedactor,
  credentialsInConfigMap,
  redactConfigIssue,
  redactHeaders,
  redactUrl,
  secretValuesOf,
} from './redact.js';

/** Planted in every case below; it must appear in no issue, warning or log line. */
const SECRET = 'pLaNtEd-s3cret-7f3a9';

const gpt2 = `- name: latency
  query: 'x{pod="%s"}'
  slo: 0.5
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

describe('redactUrl', () => {
  it.each([
    ['user and password', `http://k-siss:${SECRET}@prom:9090/x`, `http://${REDACTED}@prom:9090/x`],
    ['a user only', `https://${SECRET}@prom/`, `https://${REDACTED}@prom/`],
    ['no userinfo: unchanged', 'http://prom:9090/api/v1/query', 'http://prom:9090/api/v1/query'],
    ['not a URL but with userinfo', `ftp//x://u:${SECRET}@h`, `ftp//x://u:${SECRET}@h`],
    ['unparseable with a scheme', `http://u:${SECRET}@[bad`, `http://${REDACTED}@[bad`],
    ['not a URL at all', 'prometheus', 'prometheus'],
  ])('%s', (_name, url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactHeaders', () => {
  it('keeps the names and hides every value', () => {
    expect(redactHeaders({ Authorization: `Bearer ${SECRET}`, 'X-Scope-OrgID': 'team-a' })).toEqual({
      Authorization: REDACTED,
      'X-Scope-OrgID': REDACTED,
    });
  });
});

describe('a planted secret in a bad config reaches no issue line', () => {
  const cases: ReadonlyArray<{
    name: string;
    data: Record<string, string>;
    env?: Record<string, string>;
    line: string;
  }> = [
    {
      name: 'a YAML error in _global (the token is in the raw text)',
      data: { _global: `prometheusHeaders: {Authorization: Bearer ${SECRET}}\nintervalSeconds: [1\n`, gpt2 },
      line: '_global = [redacted]: invalid YAML',
    },
    {
      name: 'a header value that is not a string',
      data: { _global: `prometheusHeaders: {X-Api-Key: [${SECRET}]}\n`, gpt2 },
      line: '_global.prometheusHeaders.X-Api-Key = [redacted]: must be a string',
    },
    {
      name: 'a misspelt headers field',
      data: { _global: `prometheusHeader: {Authorization: Bearer ${SECRET}}\n`, gpt2 },
      line: '_global.prometheusHeader = [redacted]: unknown field',
    },
    {
      name: 'a bad URL with userinfo in _global',
      data: { _global: `prometheusUrl: ftp://k-siss:${SECRET}@prom:9090\n`, gpt2 },
      line: `_global.prometheusUrl = "ftp://${REDACTED}@prom:9090/": must be an http(s) URL`,
    },
    {
      name: 'a bad URL with userinfo in the environment',
      data: { gpt2 },
      env: { PROMETHEUS_URL: `gopher://k-siss:${SECRET}@prom:9090` },
      line: `env.PROMETHEUS_URL = "gopher://${REDACTED}@prom:9090": must be an http(s) URL`,
    },
    {
      name: '_global written as a list',
      data: { _global: `- Authorization: Bearer ${SECRET}\n`, gpt2 },
      line: '_global = [redacted]: must be a YAML object of global settings',
    },
    {
      name: 'a misspelt reserved key',
      data: { _globals: `prometheusHeaders: {Authorization: Bearer ${SECRET}}\n`, gpt2 },
      line: '_globals = [redacted]: unknown reserved key',
    },
    {
      name: 'a credential written into prometheusAuth',
      data: { _global: `prometheusAuth: {bearerToken: ${SECRET}}\n`, gpt2 },
      line: '_global.prometheusAuth.bearerToken = [redacted]: unknown field',
    },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const lines = parseConfig(c.data, c.env ?? {}).issues.map(formatIssue);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.some((line) => line.startsWith(c.line))).toBe(true);
  });

  it('values that cannot be credentials are still shown', () => {
    const lines = parseConfig({ _global: 'namespaces: [Bad_NS]\nintervalSeconds: -1\n', gpt2 }).issues;
    expect(lines.map(formatIssue)).toEqual([
      '_global.intervalSeconds = -1: must be > 0',
      '_global.namespaces[0] = "Bad_NS": must be a DNS label (lower-case letters, digits and dashes)',
    ]);
  });

  it('an issue without a value stays as it is', () => {
    const issue = { key: '_global', path: '.prometheusHeaders', value: undefined, message: 'required' };
    expect(redactConfigIssue(issue)).toBe(issue);
  });
});

describe('credentials in the ConfigMap are named, never shown', () => {
  const global = (text: string, env: Record<string, string> = {}) => {
    const config = parseConfig({ _global: text, gpt2 }, env).config;
    if (config === undefined) throw new Error('config expected');
    return config;
  };
  it.each([
    [
      'an Authorization header',
      `prometheusHeaders: {Authorization: Bearer ${SECRET}}`,
      {},
      ['_global.prometheusHeaders.Authorization'],
    ],
    [
      'an API key header and a password in the URL',
      `prometheusUrl: http://u:${SECRET}@prom:9090\nprometheusHeaders: {X-API-Key: ${SECRET}}`,
      {},
      ['_global.prometheusHeaders.X-API-Key', '_global.prometheusUrl (user and password in the URL)'],
    ],
    ['a tenant header only: not a credential', 'prometheusHeaders: {X-Scope-OrgID: team-a}', {}, []],
    [
      'userinfo from the environment is not the ConfigMap',
      'intervalSeconds: 5',
      { PROMETHEUS_URL: `http://u:${SECRET}@prom:9090` },
      [],
    ],
  ] as const)('%s', (_name, text, env, expected) => {
    const config = global(text, env);
    const urlFromConfigMap = text.includes('prometheusUrl');
    expect(credentialsInConfigMap(config.global, urlFromConfigMap)).toEqual(expected);
    const warning = credentialsWarning(config, env) ?? '';
    expect(warning).not.toContain(SECRET);
    for (const field of expected) expect(warning).toContain(field.split(' ')[0]);
  });
});

describe('createSecretRedactor', () => {
  const settings = {
    prometheusUrl: `http://k-siss:${encodeURIComponent(`${SECRET}/+`)}@prom:9090`,
    prometheusHeaders: { Authorization: `Bearer ${SECRET}`, 'X-Scope-OrgID': 'ab' },
  };
  const redactor = createSecretRedactor(() => secretValuesOf(settings));
  it.each([
    ['the header value', `got 401 for Bearer ${SECRET}`, `got 401 for ${REDACTED}`],
    ['the decoded password', `password ${SECRET}/+ refused`, `password ${REDACTED} refused`],
    ['not the user name', 'user k-siss unknown', 'user k-siss unknown'],
    [
      'the Basic credential made of the URL',
      `refused Basic ${Buffer.from(`k-siss:${SECRET}/+`).toString('base64')}`,
      `refused Basic ${REDACTED}`,
    ],
    ['a JSON-escaped form', JSON.stringify({ e: `x ${SECRET}/+` }), `{"e":"x ${REDACTED}"}`],
    ['a value too short to scrub from free text', 'tab ab', 'tab ab'],
    ['nothing secret', 'all fine', 'all fine'],
  ])('%s', (_name, text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });
  it('reads the secrets at every call', () => {
    const values: string[] = [];
    const live = createSecretRedactor(() => values);
    expect(live.redact(`a ${SECRET}`)).toBe(`a ${SECRET}`);
    values.push(SECRET);
    expect(live.redact(`a ${SECRET}`)).toBe(`a ${REDACTED}`);
  });
});

describe('createLogger with redact', () => {
  it('scrubs the finished JSON line', () => {
    const lines: string[] = [];
    const logger = createLogger({ redact: createSecretRedactor(() => [SECRET]).redact });
    logger.clear();
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      }),
    );
    logger.warn(`token ${SECRET} refused`, { header: `Bearer ${SECRET}`, nested: { value: SECRET } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      message: `token ${REDACTED} refused`,
      header: `Bearer ${REDACTED}`,
      nested: { value: REDACTED },
    });
  });
});
