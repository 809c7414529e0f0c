/**
 * A run's `system` events as chart columns: seconds since the first sample on x; the
 * trainer's CPU (percent of one core) and resident memory (MiB); per GPU its
 * utilisation and memory used (MiB), null where NVML gave no value.
 */
import type { Column } from './series';
import type { SystemEvent } from './types';

export interface SystemChart {
  key: string;
  title: string;
  unit: string;
  series: { label: string; values: Column }[];
}

export interface SystemSeries {
  x: number[];
  charts: SystemChart[];
}

const MIB = 1024 * 1024;

export function systemSeries(events: SystemEvent[]): SystemSeries {
  const t0 = events[0]?.time ?? 0;
  const x = events.map((e) => e.time - t0);
  const charts: SystemChart[] = [
    {
      key: 'cpu',
      title: 'CPU',
      unit: '% of a core',
      series: [{ label: 'cpu', values: events.map((e) => e.cpu_percent) }],
    },
    {
      key: 'memory',
      title: 'Memory (RSS)',
      unit: 'MiB',
      series: [{ label: 'rss', values: events.map((e) => e.rss_bytes / MIB) }],
    },
  ];
  const gpus = [...new Set(events.flatMap((e) => (e.gpus ?? []).map((g) => g.index)))].sort((a, b) => a - b);
  if (gpus.length) {
    const pick = (index: number, f: (g: NonNullable<SystemEvent['gpus']>[number]) => number | null | undefined) =>
      events.map((e) => {
        const g = e.gpus?.find((d) => d.index === index);
        const v = g ? f(g) : null;
        return typeof v === 'number' ? v : null;
      });
    charts.push({
      key: 'gpu-util',
      title: 'GPU utilisation',
      unit: '%',
      series: gpus.map((i) => ({ label: `gpu ${i}`, values: pick(i, (g) => g.utilization_percent) })),
    });
    charts.push({
      key: 'gpu-memory',
      title: 'GPU memory used',
      unit: 'MiB',
      series: gpus.map((i) => ({
        label: `gpu ${i}`,
        values: pick(i, (g) => (typeof g.memory_used_bytes === 'number' ? g.memory_used_bytes / MIB : null)),
      })),
    });
  }
  return { x, charts };
}
