import { formatIssue, parseConfig } from './config.js';
import { prometheusSettingsKey } from './prometheus-auth.js';

const gpt2 = `- name: latency
  query: 'x{pod="%s"}'
  slo: 0.5
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

describe('prometheusAuth and prometheusTls', () => {
  const good: ReadonlyArray<readonly [string, string, Record<string, string>, object]> = [
    [
      'a bearer token file',
      'prometheusAuth: {bearerTokenFile: /var/run/prometheus/token}',
      {},
      { prometheusAuth: { kind: 'bearer', token: { file: '/var/run/prometheus/token' } } },
    ],
    [
      'a bearer token from a Secret',
      'prometheusAuth: {bearerTokenSecret: {name: k-siss-prometheus-credentials, key: token}}',
      {},
      {
        prometheusAuth: {
          kind: 'bearer',
          token: { secret: { name: 'k-siss-prometheus-credentials', key: 'token' } },
        },
      },
    ],
    [
      'basic auth with a password Secret',
      'prometheusAuth: {basicAuth: {username: k-siss, passwordSecret: {name: prom, key: password}}}',
      {},
      {
        prometheusAuth: {
          kind: 'basic',
          username: 'k-siss',
          password: { secret: { name: 'prom', key: 'password' } },
        },
      },
    ],
    [
      'TLS files',
      'prometheusTls: {caFile: /etc/ca/ca.crt, certFile: /etc/tls/tls.crt, keyFile: /etc/tls/tls.key}',
      {},
      {
        prometheusTls: {
          caFile: '/etc/ca/ca.crt',
          certFile: '/etc/tls/tls.crt',
          keyFile: '/etc/tls/tls.key',
        },
      },
    ],
    [
      'from the environment',
      'intervalSeconds: 10',
      {
        PROMETHEUS_BASIC_AUTH_USERNAME: 'k-siss',
        PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: '/run/p',
        PROMETHEUS_CA_FILE: '/run/ca.crt',
      },
      {
        prometheusAuth: { kind: 'basic', username: 'k-siss', password: { file: '/run/p' } },
        prometheusTls: { caFile: '/run/ca.crt' },
      },
    ],
    [
      '_global wins over the environment',
      'prometheusAuth: {bearerTokenFile: /a}',
      { PROMETHEUS_BEARER_TOKEN_FILE: '/b' },
      { prometheusAuth: { kind: 'bearer', token: { file: '/a' } } },
    ],
  ];
  it.each(good)('%s', (_name, global, env, expected) => {
    const parsed = parseConfig({ _global: global, gpt2 }, env);
    expect(parsed.issues.map(formatIssue)).toEqual([]);
    expect(parsed.config?.global).toMatchObject(expected);
  });

  const bad: ReadonlyArray<readonly [string, string, Record<string, string>, string]> = [
    [
      'two kinds at once',
      'prometheusAuth: {bearerTokenFile: /a, basicAuth: {username: u, passwordFile: /p}}',
      {},
      '_global.prometheusAuth = [redacted]: needs exactly one of bearerTokenFile, bearerTokenSecret, basicAuth',
    ],
    [
      'a relative file',
      'prometheusAuth: {bearerTokenFile: token}',
      {},
      '_global.prometheusAuth.bearerTokenFile = "token": must be an absolute path',
    ],
    [
      'basic auth without a password',
      'prometheusAuth: {basicAuth: {username: u}}',
      {},
      '_global.prometheusAuth.basicAuth = [redacted]: needs exactly one of passwordFile, passwordSecret',
    ],
    [
      'a bad Secret name',
      'prometheusAuth: {bearerTokenSecret: {name: Bad_Name, key: token}}',
      {},
      '_global.prometheusAuth.bearerTokenSecret.name = "Bad_Name": must be a Secret name (lower-case DNS subdomain)',
    ],
    [
      'a certificate without its key',
      'prometheusTls: {certFile: /c}',
      {},
      '_global.prometheusTls = {"certFile":"/c"}: certFile and keyFile go together',
    ],
    [
      'the environment: a username without a password file',
      'intervalSeconds: 10',
      { PROMETHEUS_BASIC_AUTH_USERNAME: 'u' },
      'env.PROMETHEUS_BASIC_AUTH_PASSWORD_FILE = (missing): must be set with PROMETHEUS_BASIC_AUTH_USERNAME',
    ],
    [
      'the environment: token file and basic auth',
      'intervalSeconds: 10',
      {
        PROMETHEUS_BEARER_TOKEN_FILE: '/t',
        PROMETHEUS_BASIC_AUTH_USERNAME: 'u',
        PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: '/p',
      },
      'env.PROMETHEUS_BEARER_TOKEN_FILE = "/t": not with PROMETHEUS_BASIC_AUTH_USERNAME/PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: one or the other',
    ],
    [
      'the environment: a key without its certificate',
      'intervalSeconds: 10',
      { PROMETHEUS_KEY_FILE: '/k' },
      'env.PROMETHEUS_CERT_FILE = (missing): PROMETHEUS_CERT_FILE and PROMETHEUS_KEY_FILE go together',
    ],
  ];
  it.each(bad)('%s', (_name, global, env, line) => {
    const parsed = parseConfig({ _global: global, gpt2 }, env);
    expect(parsed.config).toBeUndefined();
    expect(parsed.issues.map(formatIssue)).toEqual([line]);
  });

  it('a change of credentials is a change of the Prometheus settings', () => {
    const key = (global: string) => {
      const config = parseConfig({ _global: global, gpt2 }).config;
      if (config === undefined) throw new Error('config expected');
      return prometheusSettingsKey(config.global);
    };
    expect(key('prometheusAuth: {bearerTokenFile: /a}')).not.toBe(
      key('prometheusAuth: {bearerTokenFile: /b}'),
    );
    expect(key('prometheusTls: {caFile: /a}')).not.toBe(key('intervalSeconds: 10'));
  });
});
