/**
 * A `.keras` file is a zip holding `config.json` (the model), `metadata.json` and the
 * weights. Only the config is needed to import the model, so it is taken out here, in
 * the page: the zip's central directory (at the end of the file) says where
 * `config.json` lies, and only those bytes are read from the file. The weights, often
 * hundreds of megabytes, are never read nor sent.
 */
import { inflateSync } from 'fflate';

const EOCD_SIG = 0x06054b50; // end of central directory
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

export class KerasFileError extends Error {
  name = 'KerasFileError';
}

async function bytes(file: Blob, start: number, end: number): Promise<DataView> {
  return new DataView(await file.slice(start, end).arrayBuffer());
}

function notKeras(detail: string): KerasFileError {
  return new KerasFileError(`This is not a .keras file (a zip with config.json): ${detail}`);
}

/** Where the central directory starts and how long it is. */
async function centralDirectory(file: Blob): Promise<{ offset: number; size: number }> {
  const tailStart = Math.max(0, file.size - EOCD_MIN - MAX_COMMENT);
  const tail = await bytes(file, tailStart, file.size);
  for (let i = tail.byteLength - EOCD_MIN; i >= 0; i--) {
    if (tail.getUint32(i, true) !== EOCD_SIG) continue;
    const size = tail.getUint32(i + 12, true);
    const offset = tail.getUint32(i + 16, true);
    if (offset === 0xffffffff || size === 0xffffffff) throw notKeras('zip64 archives are not supported');
    return { offset, size };
  }
  throw notKeras('no zip directory found');
}

interface Entry {
  method: number;
  compressedSize: number;
  localOffset: number;
}

function findEntry(dir: DataView, wanted: string): Entry | null {
  const decoder = new TextDecoder();
  let p = 0;
  while (p + 46 <= dir.byteLength && dir.getUint32(p, true) === CENTRAL_SIG) {
    const nameLen = dir.getUint16(p + 28, true);
    const extraLen = dir.getUint16(p + 30, true);
    const commentLen = dir.getUint16(p + 32, true);
    const name = decoder.decode(new Uint8Array(dir.buffer, dir.byteOffset + p + 46, nameLen));
    if (name === wanted) {
      return {
        method: dir.getUint16(p + 10, true),
        compressedSize: dir.getUint32(p + 20, true),
        localOffset: dir.getUint32(p + 42, true),
      };
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return null;
}

/** The text of `config.json` inside a `.keras` file, reading only the bytes it needs. */
export async function kerasConfigText(file: Blob, maxBytes = 64 << 20): Promise<string> {
  const { offset, size } = await centralDirectory(file);
  const entry = findEntry(await bytes(file, offset, offset + size), 'config.json');
  if (!entry) throw notKeras('it holds no config.json');
  if (entry.compressedSize > maxBytes) throw new KerasFileError('config.json is larger than the import limit');
  const local = await bytes(file, entry.localOffset, entry.localOffset + 30);
  if (local.getUint32(0, true) !== LOCAL_SIG) throw notKeras('a damaged zip entry');
  const start = entry.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  const data = new Uint8Array(await file.slice(start, start + entry.compressedSize).arrayBuffer());
  let raw: Uint8Array;
  if (entry.method === 0) raw = data;
  else if (entry.method === 8) raw = inflateSync(data);
  else throw notKeras(`config.json is packed with an unknown method (${entry.method})`);
  return new TextDecoder().decode(raw);
}
