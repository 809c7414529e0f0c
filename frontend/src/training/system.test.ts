import { describe, expect, it } from 'vitest';
import { systemSeries } from './system';
import type { SystemEvent } from './types';

const sample = (time: number, cpu: number, rss: number, gpus: SystemEvent['gpus'] = []): SystemEvent => ({
  type: 'system',
  seq: time,
  time,
  cpu_percent: cpu,
  rss_bytes: rss,
  gpus,
});

describe('systemSeries', () => {
  it('CPU and memory in MiB against seconds since the first sample; no GPU charts without GPUs', () => {
    const s = systemSeries([sample(100, 150, 2 * 1024 * 1024), sample(102, 90, 3 * 1024 * 1024)]);
    expect(s.x).toEqual([0, 2]);
    expect(s.charts.map((c) => c.key)).toEqual(['cpu', 'memory']);
    expect(s.charts[0].series[0].values).toEqual([150, 90]);
    expect(s.charts[1].series[0].values).toEqual([2, 3]);
  });
  it('a series per GPU, null where NVML gave nothing or the GPU was missing', () => {
    const s = systemSeries([
      sample(0, 1, 0, [
        { index: 1, utilization_percent: 50, memory_used_bytes: 1024 * 1024 },
        { index: 0, utilization_percent: null },
      ]),
      sample(2, 1, 0, [{ index: 0, utilization_percent: 80, memory_used_bytes: 2 * 1024 * 1024 }]),
    ]);
    const util = s.charts.find((c) => c.key === 'gpu-util')!;
    expect(util.series.map((x) => x.label)).toEqual(['gpu 0', 'gpu 1']);
    expect(util.series[0].values).toEqual([null, 80]);
    expect(util.series[1].values).toEqual([50, null]);
    expect(s.charts.find((c) => c.key === 'gpu-memory')!.series[0].values).toEqual([null, 2]);
  });
});
