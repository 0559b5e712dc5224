import net from 'node:net';

/** What a RESP2 reply decodes to; error replies reject with RespError instead. */
export type RespValue = string | number | null | RespValue[];

export class RespError extends Error {
  override readonly name = 'RespError';
}

export interface Endpoint {
  host: string;
  port: number;
}

interface Parsed {
  value: RespValue | RespError;
  next: number;
}

function lineEnd(buf: Buffer, from: number): number {
  return buf.indexOf('\r\n', from, 'latin1');
}

/**
 * Parses one RESP2 reply starting at `offset`; undefined while the reply is still incomplete.
 * An error nested in an array is kept as a RespError value so the array stays aligned.
 */
export function parseResp(buf: Buffer, offset = 0): Parsed | undefined {
  if (offset >= buf.length) return undefined;
  const end = lineEnd(buf, offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RespError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let cursor = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, cursor);
        if (item === undefined) return undefined;
        // Nested errors surface as their message; only top-level errors reject.
        items.push(item.value instanceof RespError ? item.value.message : item.value);
        cursor = item.next;
      }
      return { value: items, next: cursor };
    }
    default:
      throw new RespError(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/**
 * Sends one command on a fresh connection and resolves with its reply. Deliberately tiny: the
 * harness must not depend on the Redis client library the packages under test are testing.
 */
export function respCommand(endpoint: Endpoint, args: readonly string[], timeoutMs = 2_000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const socket = net.createConnection({ host: endpoint.host, port: endpoint.port });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setTimeout(timeoutMs, () =>
      finish(() => reject(new Error(`${args[0] ?? 'command'} to ${endpoint.host}:${endpoint.port} timed out`))),
    );
    socket.on('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed: Parsed | undefined;
      try {
        parsed = parseResp(buf);
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (parsed === undefined) return;
      const { value } = parsed;
      finish(() => (value instanceof RespError ? reject(value) : resolve(value)));
    });
    socket.on('error', (error) => finish(() => reject(error)));
    socket.on('close', () =>
      finish(() => reject(new Error(`connection to ${endpoint.host}:${endpoint.port} closed before a reply`))),
    );
  });
}

export async function ping(endpoint: Endpoint, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await respCommand(endpoint, ['PING'], timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}
