/**
 * Parameters marked as search dimensions of a sweep: a node parameter is the JSON Pointer
 * `/graph/nodes/<id>/params/<name>` into the run request (the sweep store keeps them, by
 * pointer, with their range or choices; see experiments/sweepStore.ts).
 */
import type { NodeId } from './graph/types';

/** RFC 6901: `~` and `/` in a segment are written `~0` and `~1`. */
function segment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unsegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function paramPointer(node: NodeId, param: string): string {
  return `/graph/nodes/${segment(node)}/params/${segment(param)}`;
}

/** The parameters of `node` marked among `pointers`, in their order. */
export function searchedParams(pointers: Iterable<string>, node: NodeId): string[] {
  const prefix = `/graph/nodes/${segment(node)}/params/`;
  const out: string[] = [];
  for (const p of pointers) {
    const rest = p.startsWith(prefix) ? p.slice(prefix.length) : null;
    if (rest && !rest.includes('/')) out.push(unsegment(rest));
  }
  return out;
}
