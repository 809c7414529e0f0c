import type { CSSProperties } from 'react';

/**
 * A layer card's size, in one place: its width (the CSS reads it as `--node-width`, set
 * on the canvas), the port boxes, and the height assumed before a card is measured.
 */
export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 90;
export const PORT_SIZE = 10;

/** The sizes as the CSS reads them (set on the canvas). */
export const nodeSizeStyle = {
  '--node-width': `${NODE_WIDTH}px`,
  '--port-size': `${PORT_SIZE}px`,
} as CSSProperties;
