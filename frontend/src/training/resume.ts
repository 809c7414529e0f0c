/**
 * The run the dashboard shows survives a page refresh: its id lives in the URL hash
 * (`#run=<id>`, shareable, other hash keys kept) and in localStorage (a fresh tab).
 */
const HASH_KEY = 'run';
const STORAGE_KEY = 'layerforge.activeRun';

export function runFromHash(hash: string): string | null {
  const v = new URLSearchParams(hash.replace(/^#/, '')).get(HASH_KEY);
  return v || null;
}

export function hashWithRun(hash: string, id: string | null): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (id) params.set(HASH_KEY, id);
  else params.delete(HASH_KEY);
  const s = params.toString();
  return s ? `#${s}` : '';
}

export function readActiveRun(): string | null {
  const fromHash = runFromHash(window.location.hash);
  if (fromHash) return fromHash;
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function writeActiveRun(id: string | null): void {
  const { pathname, search, hash } = window.location;
  const next = hashWithRun(hash, id);
  if (next !== hash) window.history.replaceState(window.history.state, '', `${pathname}${search}${next}`);
  try {
    if (id) window.localStorage.setItem(STORAGE_KEY, id);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage disabled: the hash still carries it */
  }
}
