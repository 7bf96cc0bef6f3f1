// A Kubernetes object as plain JSON (kind, apiVersion, metadata, ...), as the API sends it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawObject = Record<string, any>;
