/** What the upload form needs to know of a CSV file before it is sent. */

/** The column names of a CSV file's header line. */
export function csvColumns(headerText: string): string[] {
  const line = headerText.split(/\r?\n/, 1)[0] ?? '';
  return line
    .split(',')
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}
