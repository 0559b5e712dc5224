import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { z } from 'zod';

/** Where and as whom to export spans, as the OTEL_* variables say. */
export interface OtlpTraceConfig {
  /** The full OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  headers: Record<string, string>;
  /** Resource attributes, `service.name` among them. */
  resource: Record<string, string>;
}

type Env = Readonly<Record<string, string | undefined>>;

// An exporter endpoint is an http(s) URL: anything else (a bare host:port, grpc://) would make
// every export fail later and silently, so it is refused at start.
const endpointUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

function fail(variable: string, why: string): never {
  throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `startTracing: ${variable} ${why}`);
}

/** The variable's value; empty counts as unset, as the OpenTelemetry configuration spec says. */
function setting(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value ? value : undefined;
}

function checkedUrl(variable: string, value: string): string {
  const parsed = endpointUrl.safeParse(value);
  if (!parsed.success) fail(variable, `${parsed.error.issues[0]!.message}, got ${JSON.stringify(value)}`);
  return value;
}

/** `key1=value1,key2=value2` with percent-encoded values (the OTEL_*_HEADERS / OTEL_RESOURCE_ATTRIBUTES format). */
export function parseKeyValueList(env: Env, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = setting(env, variable);
  if (raw === undefined) return out;
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (key === '') fail(variable, `must be key=value pairs separated by commas, got ${JSON.stringify(item)}`);
    try {
      out[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      fail(variable, `has a value that is not percent-encoded correctly: ${JSON.stringify(item)}`);
    }
  }
  return out;
}

/**
 * The export settings, or undefined when tracing is off: no OTLP endpoint set, or
 * OTEL_SDK_DISABLED=true. Throws INVALID_ARGUMENT naming the variable that is malformed.
 */
export function otlpTraceConfigFromEnv(env: Env, serviceName: string): OtlpTraceConfig | undefined {
  if (setting(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const specific = setting(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = setting(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  let url: string;
  if (specific !== undefined) {
    // The signal-specific variable is the whole URL; the general one is a base that gets the
    // signal's path, as the OTLP exporter spec defines them.
    url = checkedUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific);
  } else if (general !== undefined) {
    const base = checkedUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general);
    url = `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
  } else {
    return undefined;
  }
  const resource = parseKeyValueList(env, 'OTEL_RESOURCE_ATTRIBUTES');
  resource['service.name'] = setting(env, 'OTEL_SERVICE_NAME') ?? resource['service.name'] ?? serviceName;
  return {
    url,
    headers: { ...parseKeyValueList(env, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseKeyValueList(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') },
    resource,
  };
}
