import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from './types';
import { devicesOfRuns, deviceState, largestGpu, workersSummary } from './workers';

const gpu = (id: string, memory_mb: number, run_id: string | null = null) => ({
  id,
  kind: 'gpu',
  name: 'NVIDIA L4',
  memory_mb,
  run_id,
});

const worker = (id: string, devices: WorkerInfo['devices'], free: number): WorkerInfo => {
  const runs = devices.flatMap((d) => (d.run_id ? [d.run_id] : []));
  return { id, host: id, devices, run_id: runs[0] ?? null, run_ids: runs, free_slots: free, last_seen_s: 1 };
};

describe('workers', () => {
  const team = [worker('gpu-a', [gpu('0', 24576, 'r1'), gpu('1', 24576)], 1), worker('gpu-b', [gpu('0', 81920)], 1)];

  it('names the device each run trains on', () => {
    expect(devicesOfRuns(team).get('r1')).toBe('gpu-a · GPU 0 (NVIDIA L4, 24 GB)');
    expect(devicesOfRuns(team).size).toBe(1);
    const both = worker('gpu-c', [gpu('0', 24576, 'r2'), gpu('1', 24576, 'r2')], 0);
    expect(devicesOfRuns([both]).get('r2')).toBe('gpu-c · GPU 0 (NVIDIA L4, 24 GB), GPU 1 (NVIDIA L4, 24 GB)');
  });

  it('says what each device does', () => {
    expect(deviceState(team[0], team[0].devices[0])).toBe('run r1');
    expect(deviceState(team[0], team[0].devices[1])).toBe('free');
    const cpu = { id: 'cpu', kind: 'cpu', name: 'x86_64', memory_mb: null };
    const local = { ...worker('local', [cpu], 1), run_ids: ['abcdefghij'] };
    expect(deviceState(local, cpu)).toBe('runs abcdefgh; 1 free');
  });

  it('counts free GPUs, or CPU slots without any', () => {
    expect(workersSummary(team)).toBe('2 workers · 2 of 3 GPUs free');
    const cpu = worker('local', [{ id: 'cpu', kind: 'cpu', name: 'x86_64', memory_mb: null }], 2);
    expect(workersSummary([cpu])).toBe('1 worker · 2 of 2 CPU slots free');
    expect(workersSummary([])).toContain('No worker');
  });

  it('finds the largest GPU in bytes (none on CPU workers)', () => {
    expect(largestGpu(team)).toEqual({ label: "gpu-b's GPU 0 (NVIDIA L4, 80 GB)", bytes: 81920 * 2 ** 20 });
    expect(largestGpu([worker('c', [{ id: 'cpu', kind: 'cpu', name: 'cpu' }], 1)])).toBeNull();
  });
});
