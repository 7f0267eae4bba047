/** Builds the IR's JSON Schema and its standalone validator as text. */
export declare function generateIrArtifacts(): { schemaJson: string; validatorJs: string; validatorDts: string };
