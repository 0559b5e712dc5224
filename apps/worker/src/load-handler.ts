import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { Handler } from '@agentbus/transport';

/** Imports a handler module: `export async function handle(envelope, ctx)` (or a default export with it). */
export async function loadHandler(file: string, cwd: string = process.cwd()): Promise<Handler> {
  const url = pathToFileURL(path.resolve(cwd, file)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `cannot load handler module ${file}: ${(cause as Error).message} (--handler)`, { cause });
  }
  const fromDefault = (mod.default as { handle?: unknown } | undefined)?.handle;
  const handle = mod.handle ?? fromDefault ?? (typeof mod.default === 'function' ? mod.default : undefined);
  if (typeof handle !== 'function') {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `handler module ${file} exports no handle function: add \`export async function handle(envelope, ctx) {}\` (--handler)`,
    );
  }
  return handle as Handler;
}
