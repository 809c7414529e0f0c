/** Category colours come from the server's catalogue; CSS reads them as `--cat`. */
import type { CSSProperties } from 'react';

export function categoryColour(colour: string | undefined): CSSProperties | undefined {
  return colour ? ({ '--cat': colour } as CSSProperties) : undefined;
}
