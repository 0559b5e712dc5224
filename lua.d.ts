// Lua scripts are imported as text: tsup's `text` loader in builds, vitest's luaAsText plugin in tests.
declare module '*.lua' {
  const source: string;
  export default source;
}
