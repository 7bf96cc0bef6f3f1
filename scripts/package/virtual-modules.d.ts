// Modules that exist only inside the release bundle (made by bundle.ts).
declare module 'kubectl-inject:package-json' {
  /** The fields of package.json oclif reads: name, version, description, type, oclif, ... */
  export const PJSON: Record<string, unknown>;
}
