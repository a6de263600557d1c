/**
 * A real dynamic import(), for the ESM-only packages the worker uses (file-type, pdfjs-dist).
 * With module commonjs TypeScript rewrites `import()` into `require()`; Node 20.19+ could
 * require() these packages, but a package that ever gains top-level await could not be
 * required, and import() is the loading these packages document. The Function constructor
 * hides the import() from the compiler. This runs only inside a worker thread, which is plain
 * Node (never Jest's module system, which cannot load ESM without a flag).
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const dynamicImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

export function importEsm<T>(specifier: string): Promise<T> {
  return dynamicImport(specifier) as Promise<T>;
}
