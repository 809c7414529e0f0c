/**
 * What the workers list (GET /api/workers) tells the training form: which device each
 * run trains on, how many are free, and the largest GPU, against which the memory
 * estimate warns before a run is queued.
 */
import type { WorkerInfo } from './types';

type Device = WorkerInfo['devices'][number];

export function deviceLabel(d: Device): string {
  const memory = d.memory_mb ? `, ${(d.memory_mb / 1024).toFixed(d.memory_mb >= 10240 ? 0 : 1)} GB` : '';
  return d.kind === 'gpu' ? `GPU ${d.id} (${d.name}${memory})` : 'CPU';
}

/** What a device is doing: its run, or free; a one-machine server's slots are not
 * tied to a device, so its runs are named on each. */
export function deviceState(w: WorkerInfo, d: Device): string {
  if (d.run_id) return `run ${d.run_id.slice(0, 8)}`;
  const placed = new Set(w.devices.map((x) => x.run_id));
  const loose = w.run_ids.filter((r) => !placed.has(r));
  return loose.length ? `runs ${loose.map((r) => r.slice(0, 8)).join(', ')}; ${w.free_slots} free` : 'free';
}

/** run id -> "host · GPU 0 (NVIDIA …)" for the runs a worker says it trains (every
 * device of a run on several, `gpus: N`). */
export function devicesOfRuns(workers: WorkerInfo[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of workers) {
    const on = new Map<string, string[]>();
    for (const d of w.devices) if (d.run_id) on.set(d.run_id, [...(on.get(d.run_id) ?? []), deviceLabel(d)]);
    for (const [run, labels] of on) out.set(run, `${w.host} · ${labels.join(', ')}`);
    for (const r of w.run_ids) if (!out.has(r)) out.set(r, w.host);
  }
  return out;
}

/** "2 workers · 1 of 3 GPUs free" (CPU slots when no worker has a GPU). */
export function workersSummary(workers: WorkerInfo[]): string {
  if (!workers.length) return 'No worker is running: runs wait in the queue';
  const gpus = workers.flatMap((w) => w.devices.filter((d) => d.kind === 'gpu'));
  const free = workers.reduce((n, w) => n + w.free_slots, 0);
  const slots = workers.reduce((n, w) => n + w.free_slots + w.run_ids.length, 0);
  const count = `${workers.length} worker${workers.length === 1 ? '' : 's'}`;
  if (gpus.length) return `${count} · ${gpus.filter((d) => !d.run_id).length} of ${gpus.length} GPUs free`;
  return `${count} · ${free} of ${slots} CPU slot${slots === 1 ? '' : 's'} free`;
}

/** The GPU with the most memory among the workers (null: no worker reports one). */
export function largestGpu(workers: WorkerInfo[]): { label: string; bytes: number } | null {
  let best: { label: string; bytes: number } | null = null;
  for (const w of workers)
    for (const d of w.devices)
      if (d.kind === 'gpu' && d.memory_mb && (!best || d.memory_mb * 2 ** 20 > best.bytes))
        best = { label: `${w.host}'s ${deviceLabel(d)}`, bytes: d.memory_mb * 2 ** 20 };
  return best;
}
