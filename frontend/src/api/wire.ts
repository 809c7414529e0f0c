/**
 * Names for the wire types the editor uses, all taken from the schema generated from the
 * server's OpenAPI document (src/api/schema.d.ts, `npm run gen:api`). Nothing here is
 * spelled out by hand: when the server changes a model, regenerate and the compiler
 * shows every place that has to follow.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type WireGraph = Schemas['Graph-Input'];
export type WireNode = Schemas['Node-Input'];
export type WireInnerLayer = Schemas['InnerLayer-Input'];
export type Edge = Schemas['Edge'];
export type Problem = Schemas['ProblemOut'];
export type LayerSpec = Schemas['LayerSpec'];
export type ParamSpec = Schemas['LayerParam'];
export type Catalogue = Schemas['Catalogue'];
export type ValidateAnswer = Schemas['ValidationReport'];
export type NodeReport = Schemas['NodeReport'];
export type BuildAnswer = Schemas['BuildSummary'];
export type SummaryLayer = Schemas['LayerRow'];
export type Health = Schemas['Health'];
export type SavedGraphInfo = Schemas['GraphInfo'];
export type SavedGraph = Schemas['SavedGraphOut'];
export type GraphVersionInfo = Schemas['VersionInfo'];
export type ExampleInfo = Schemas['ExampleInfo'];
export type RunSettingsIn = NonNullable<Schemas['RunRequest']['settings']>;

// -- pending: what GET /api/layers publishes beside the layers once the server declares
// it (issue 7); remove this block after `npm run gen:api` brings it into Catalogue.
export interface Category {
  id: string;
  title: string;
  colour: string;
}
export type ChoiceKind = 'dtype' | 'activation' | 'initializer' | 'regularizer' | 'constraint' | 'loss' | 'metric';
export type Choices = Partial<Record<ChoiceKind, string[]>>;
export type FullCatalogue = Catalogue & { categories?: Category[]; choices?: Choices };

// -- pending: the ports the validate answer reports per node (issue 7); remove after
// `npm run gen:api` brings them into NodeReport (and LayerSpec).
export interface Ports {
  input_ports: string[];
  output_ports: string[];
  variadic_inputs: boolean;
}
export type PortedReport = NodeReport & Partial<Ports>;
export type PortedSpec = LayerSpec & Partial<Ports>;
