/** The node and edge components a canvas draws with (the editor's and the diff's). */
import { BlockFrameNode } from './BlockFrameNode';
import { ShapeEdge, TieEdge } from './edges';
import { LayerNode } from './LayerNode';

export const nodeTypes = { layer: LayerNode, frame: BlockFrameNode };
export const edgeTypes = { shape: ShapeEdge, tie: TieEdge };
