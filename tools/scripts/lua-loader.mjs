// Node module hook: `import script from './x.lua'` yields the file's text, as tsup's text loader
// does in builds. Lets fault tests run package sources in child processes (with tsx).
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.lua')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
