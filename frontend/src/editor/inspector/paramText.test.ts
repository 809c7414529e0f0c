import { describe, expect, it } from 'vitest';
import { parseList, parseNumber, parseTuple, tupleText } from './paramText';

describe('inspector text fields', () => {
  it('parses shapes with free axes', () => {
    expect(parseTuple('32, 32, 3', true)).toEqual({ ok: true, value: [32, 32, 3] });
    expect(parseTuple('(None, 64)', true)).toEqual({ ok: true, value: [null, 64] });
    expect(parseTuple('', true)).toEqual({ ok: true, value: undefined });
    expect(parseTuple('None, 3', false).ok).toBe(false);
    expect(parseTuple('3, x2', true).ok).toBe(false);
    expect(tupleText([null, 64])).toBe('None, 64');
  });
  it('parses numbers, refusing fractions for ints', () => {
    expect(parseNumber('64', true, false)).toEqual({ ok: true, value: 64 });
    expect(parseNumber('0.5', true, false).ok).toBe(false);
    expect(parseNumber('None', false, true)).toEqual({ ok: true, value: null });
    expect(parseNumber('abc', false, false).ok).toBe(false);
  });
  it('parses metric lists', () => {
    expect(parseList('accuracy, auc')).toEqual({ ok: true, value: ['accuracy', 'auc'] });
    expect(parseList('["mae"]')).toEqual({ ok: true, value: ['mae'] });
  });
});
