import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the collector received. */
export interface CollectorRequest {
  path: string;
  contentType: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A span as OTLP/JSON carries it, with the service of its resource. */
export interface CollectedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string | undefined;
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

export interface OtlpCollector {
  /** The base URL, e.g. http://127.0.0.1:43123: what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  url: string;
  requests: CollectorRequest[];
  /** Every span of every JSON export so far. */
  spans(): CollectedSpan[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{ name: string; kind: number; traceId: string; spanId: string; parentSpanId?: string; attributes?: OtlpKeyValue[] }>;
    }>;
  }>;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue]));
}

/**
 * A real OTLP/HTTP receiver on 127.0.0.1: records every POST body as it came, answers 200 (or,
 * with `hang`, never answers, as a collector that is down behind a proxy).
 */
export async function startOtlpCollector(options: { hang?: boolean } = {}): Promise<OtlpCollector> {
  const requests: CollectorRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], headers: req.headers, body: Buffer.concat(chunks) });
      if (options.hang) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans() {
      const out: CollectedSpan[] = [];
      for (const r of requests) {
        if (!r.contentType?.includes('json')) continue;
        const body = JSON.parse(r.body.toString('utf8')) as OtlpExport;
        for (const rs of body.resourceSpans ?? []) {
          const resource = attributesOf(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              out.push({
                name: s.name,
                kind: s.kind,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                service: resource['service.name'] as string | undefined,
                resource,
                attributes: attributesOf(s.attributes),
              });
            }
          }
        }
      }
      return out;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
