/**
 * Names for the wire types the editor uses, all taken from the schema generated from the
 * server's OpenAPI document (src/api/schema.d.ts, `npm run gen:api`). Nothing here is
 * spelled out by hand: when the server changes a model, regenerate and the compiler
 * shows every place that has to follow.
 */
import type { Readable } from 'openapi-typescript-helpers';
import type { components } from './schema';

type Schemas = components['schemas'];

export type WireGraph = Schemas['Graph'];
export type WireNode = Schemas['Node'];
export type WireInnerLayer = Schemas['InnerLayer'];
export type Edge = Schemas['Edge'];
export type Problem = Schemas['Problem'];
export type Fix = Schemas['Fix'];
export type LayerSpec = Schemas['LayerEntry'];
export type ParamSpec = Schemas['ParamSpec'];
export type ParamKind = Schemas['ParamKind'];
export type Catalogue = Schemas['LayerCatalogue'];
export type Category = Schemas['Category'];
export type Choices = Schemas['Choices'];
export type ChoiceKind = keyof Choices;
export type ValidateAnswer = Schemas['ValidationReport'];
export type NodeReport = Schemas['NodeReport'];
export type BuildAnswer = Schemas['BuildSummary'];
export type SummaryLayer = Schemas['SummaryLayer'];
export type Health = Schemas['Health'];
export type SavedGraphInfo = Schemas['GraphInfo'];
export type GraphVersionInfo = Schemas['VersionInfo'];
export type ExampleInfo = Schemas['ExampleInfo'];
export type DiffRequest = Schemas['DiffRequest'];
export type ImportedGraph = Schemas['ImportedGraph'];
export type ApplicationRequest = Schemas['ApplicationRequest'];
export type ServingReport = Readable<Schemas['ServingReport']>;
export type Artifact = Schemas['Artifact'];
/** As the typed client reads it (openapi-fetch's Readable: tuples become arrays). */
export type GraphDiff = Readable<Schemas['GraphDiff']>;
export type ChangedNode = GraphDiff['changed'][number];
export type RunSummary = Schemas['RunSummary'];
export type VersionConflictBody = Schemas['VersionConflictBody'];
