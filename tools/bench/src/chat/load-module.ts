/**
 * Imports a package by a name the bundler cannot see: Socket.IO and its adapter are
 * devDependencies that tsup would otherwise bundle into dist/cli.js, where their CommonJS
 * `require` of Node built-ins fails. Loaded this way they resolve from node_modules at run time.
 */
export async function loadModule<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}
