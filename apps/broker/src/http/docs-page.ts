import type { OpenApiDocument } from './openapi';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A self-contained HTML page listing the routes of the OpenAPI document: no script or CDN, so
 * it works on an offline machine; tools read /docs/openapi.json.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const security = Array.isArray(op.security) ? (op.security as object[]) : [];
      const auth = security.length === 0 ? 'public' : security.some((s) => Object.keys(s).length === 0) ? 'token optional' : 'token';
      const body = op.requestBody ? 'JSON body' : '';
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escape(path)}</code></td><td>${escape(String(op.summary ?? ''))}</td><td>${auth}</td><td>${body}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} ${escape(doc.info.version)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
code{font-size:13px}.m{font-weight:600;font-family:monospace}.get{color:#0a6}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c22}
</style></head><body>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1, generated from the zod schemas that validate each request).
Authenticated routes take <code>Authorization: Bearer &lt;token&gt;</code>; errors are JSON <code>{"error", "reason", "path"?, "requestId"}</code>.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>auth</th><th>body</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
}
