import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { getTestRedisUrl } from '../vitest-setup';
import { encodeCommand, parseResp, ping, respCommand, RespError } from './resp';

const parse = (text: string) => parseResp(Buffer.from(text));

async function endpoint(): Promise<{ host: string; port: number }> {
  const url = new URL(await getTestRedisUrl());
  return { host: url.hostname, port: Number(url.port) };
}

/** A TCP server that answers every connection with `reply` (or nothing), for protocol edge cases. */
async function fakeServer(reply: string | undefined): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    if (reply !== undefined) socket.end(reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return { port: address.port, close: () => server.close() };
}

describe('parseResp', () => {
  it('decodes every RESP2 type', () => {
    expect(parse('+OK\r\n')).toEqual({ value: 'OK', next: 5 });
    expect(parse(':42\r\n')?.value).toBe(42);
    expect(parse('$4\r\nhé!\r\n')?.value).toBe('hé!');
    expect(parse('$-1\r\n')?.value).toBeNull();
    expect(parse('*-1\r\n')?.value).toBeNull();
    expect(parse('*3\r\n+a\r\n:1\r\n-ERR nested\r\n')?.value).toEqual(['a', 1, 'ERR nested']);
    expect(parse('-ERR boom\r\n')?.value).toEqual(new RespError('ERR boom'));
  });

  it('waits for the rest of a split reply', () => {
    expect(parse('')).toBeUndefined();
    expect(parse('+OK')).toBeUndefined();
    expect(parse('$5\r\nab')).toBeUndefined();
    expect(parse('*2\r\n+a\r\n')).toBeUndefined();
  });

  it('rejects bytes that are not RESP', () => {
    expect(() => parse('?\r\n')).toThrow(/unexpected RESP type byte/);
  });

  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'é']).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  });
});

describe('respCommand', () => {
  it('talks to the real Redis the globalSetup started', async () => {
    const redis = await endpoint();
    expect(await respCommand(redis, ['PING'])).toBe('PONG');
    expect(await respCommand(redis, ['ECHO', 'x'.repeat(100_000)])).toHaveLength(100_000);
    await expect(respCommand(redis, ['NOSUCHCOMMAND'])).rejects.toThrow(/unknown command/);
    expect(await ping(redis)).toBe(true);
  });

  it('fails cleanly on silence, early close, garbage and refused connections', async () => {
    const silent = await fakeServer(undefined);
    await expect(respCommand({ host: '127.0.0.1', port: silent.port }, ['PING'], 100)).rejects.toThrow(/PING to 127.0.0.1:\d+ timed out/);
    silent.close();
    const closing = await fakeServer('');
    await expect(respCommand({ host: '127.0.0.1', port: closing.port }, ['PING'])).rejects.toThrow(/closed before a reply/);
    closing.close();
    const garbage = await fakeServer('HTTP/1.1 400\r\n');
    await expect(respCommand({ host: '127.0.0.1', port: garbage.port }, ['PING'])).rejects.toThrow(/unexpected RESP type/);
    garbage.close();
    expect(await ping({ host: '127.0.0.1', port: closing.port }, 200)).toBe(false);
  });
});
