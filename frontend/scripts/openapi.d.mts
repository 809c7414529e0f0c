export declare const DOCUMENT_PATH: string;
export declare const TYPES_PATH: string;
export declare function openapiDocument(): string;
export declare function schemaTypes(documentText: string): Promise<string>;
