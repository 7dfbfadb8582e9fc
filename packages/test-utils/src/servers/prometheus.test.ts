import { describe, expect, it } from 'vitest';
import { checkMetricsWithPromtool, startPrometheus } from './prometheus.js';

describe('checkMetricsWithPromtool (Debian promtool)', () => {
  it('passes a clean exposition and reports lint problems with a non-zero exit', async () => {
    expect(await checkMetricsWithPromtool('# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3\n')).toEqual({ exitCode: 0, output: '' });
    const bad = await checkMetricsWithPromtool('# HELP jobs_milliseconds Jobs.\n# TYPE jobs_milliseconds counter\njobs_milliseconds 3\n');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.output).toMatch(/_total/);
  });
});

describe('startPrometheus', () => {
  it('says how to install prometheus when it is missing', async () => {
    await expect(startPrometheus({ targets: ['127.0.0.1:1'], command: 'vigil-no-such-prometheus' })).rejects.toThrow(/not installed.*apt-get install prometheus/);
  });
});
