import { renderDocsPage } from '../http/docs-page';
import type { OpenApiDocument } from '../http/openapi';
import { defineRoute, type Route } from '../http/route';

/** The API's own description: /docs (HTML) and /docs/openapi.json (OpenAPI 3.1). */
export function docsRoutes(document: () => OpenApiDocument): Route[] {
  let page: string | undefined;
  return [
    defineRoute({
      method: 'GET',
      url: '/docs/openapi.json',
      summary: 'The OpenAPI 3.1 document, generated from the zod schemas that validate each request',
      tags: ['docs'],
      auth: 'public',
      produces: 'application/json',
      handler: () => document(),
    }),
    defineRoute({
      method: 'GET',
      url: '/docs',
      summary: 'A page listing every route',
      tags: ['docs'],
      auth: 'public',
      produces: 'text/html',
      handler({ reply }) {
        reply.type('text/html; charset=utf-8');
        return (page ??= renderDocsPage(document()));
      },
    }),
  ];
}
