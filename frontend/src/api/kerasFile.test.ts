import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { kerasConfigText, KerasFileError } from './kerasFile';

const config = JSON.stringify({ module: 'keras', class_name: 'Sequential', config: { name: 'tiny', layers: [] } });
const weights = new Uint8Array(300_000).map((_, i) => i % 251);

function zip(level: 0 | 6, files: Record<string, Uint8Array>): Blob {
  return new Blob([zipSync(files, { level })]);
}

describe('config.json taken out of a .keras zip', () => {
  it('reads a stored (as Keras writes it) and a deflated config', async () => {
    for (const level of [0, 6] as const) {
      const file = zip(level, {
        'metadata.json': strToU8('{}'),
        'config.json': strToU8(config),
        'model.weights.h5': weights,
      });
      expect(await kerasConfigText(file)).toBe(config);
    }
  });

  it('reads only the directory and the config, never the weights', async () => {
    const file = zip(0, { 'config.json': strToU8(config), 'model.weights.h5': weights });
    let read = 0;
    const counting = {
      size: file.size,
      slice: (a: number, b: number) => {
        read += b - a;
        return file.slice(a, b);
      },
    } as unknown as Blob;
    await kerasConfigText(counting);
    expect(read).toBeLessThan(file.size / 3);
  });

  it('refuses a zip without config.json and a file that is no zip', async () => {
    await expect(kerasConfigText(zip(0, { 'a.txt': strToU8('x') }))).rejects.toThrow(/no config.json/);
    await expect(kerasConfigText(new Blob([strToU8('not a zip at all')]))).rejects.toThrow(KerasFileError);
  });
});
