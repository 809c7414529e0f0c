import { describe, expect, it } from 'vitest';
import { hashWithRun, runFromHash } from './resume';

describe('run id in the URL hash', () => {
  it('reads and writes run= while keeping other keys', () => {
    expect(runFromHash('')).toBeNull();
    expect(runFromHash('#run=abc')).toBe('abc');
    expect(runFromHash('#graph=g1&run=abc')).toBe('abc');
    expect(hashWithRun('#graph=g1', 'r2')).toBe('#graph=g1&run=r2');
    expect(hashWithRun('#graph=g1&run=r2', 'r3')).toBe('#graph=g1&run=r3');
    expect(hashWithRun('#run=r2', null)).toBe('');
  });
});
