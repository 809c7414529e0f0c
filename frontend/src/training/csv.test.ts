import { describe, expect, it } from 'vitest';
import { csvColumns } from './csv';

describe('csvColumns', () => {
  it('reads the header line, trimming spaces and quotes', () => {
    expect(csvColumns('a, "b c" ,label\r\n1,2,3\n')).toEqual(['a', 'b c', 'label']);
    expect(csvColumns('')).toEqual([]);
  });
});
