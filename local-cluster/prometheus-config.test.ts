import { load } from 'js-yaml';
import {
  renderPrometheusConfig,
  validatePrometheusConfigInput,
  type PrometheusConfigInput,
} from './prometheus-config.js';

const base: PrometheusConfigInput = {
  scrapeIntervalSeconds: 1,
  emulatorSdUrl: 'http://127.0.0.1:9000/sd',
  staticTargets: [{ jobName: 'k-siss', targets: ['127.0.0.1:9400'], labels: { app: 'k-siss' } }],
  httpSdUrls: ['http://127.0.0.1:9500/targets'],
  fileSdGlob: '/tmp/x/targets/*.json',
};

describe('renderPrometheusConfig', () => {
  test('emulator via http_sd with honor_labels, static, http_sd and file_sd jobs', () => {
    const doc = load(renderPrometheusConfig(base)) as {
      global: Record<string, string>;
      scrape_configs: Array<Record<string, unknown>>;
    };
    expect(doc.global.scrape_interval).toBe('1s');
    expect(doc.scrape_configs.map((j) => j.job_name)).toEqual(['emulator', 'k-siss', 'http-sd-0', 'file-sd']);
    expect(doc.scrape_configs[0]).toMatchObject({
      honor_labels: true,
      http_sd_configs: [{ url: 'http://127.0.0.1:9000/sd' }],
    });
    expect(doc.scrape_configs[1]).toMatchObject({
      static_configs: [{ targets: ['127.0.0.1:9400'], labels: { app: 'k-siss' } }],
    });
  });

  const bad: Array<{ name: string; input: PrometheusConfigInput; error: string }> = [
    {
      name: 'non-loopback target',
      input: { ...base, staticTargets: [{ jobName: 'x', targets: ['10.0.0.1:80'] }] },
      error: 'staticTargets[0].targets[0] = "10.0.0.1:80"',
    },
    {
      name: 'non-loopback http_sd',
      input: { ...base, httpSdUrls: ['http://example.com/sd'] },
      error: 'httpSdUrls[0] = "http://example.com/sd"',
    },
    {
      name: 'bad interval',
      input: { ...base, scrapeIntervalSeconds: 0.5 },
      error: 'scrapeIntervalSeconds = 0.5',
    },
    {
      name: 'bad job name',
      input: { ...base, staticTargets: [{ jobName: '9x', targets: ['127.0.0.1:1'] }] },
      error: 'staticTargets[0].jobName = "9x"',
    },
  ];
  for (const c of bad) {
    test(c.name, () => {
      expect(validatePrometheusConfigInput(c.input).join('; ')).toContain(c.error);
      expect(() => renderPrometheusConfig(c.input)).toThrow(c.error);
    });
  }
});
