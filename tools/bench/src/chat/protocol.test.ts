import { describe, expect, it } from 'vitest';
import { hubProtocol, socketIoProtocol } from './protocol';

const user = { index: 3, id: 'c3', token: 'tok-3', channel: 'ch3' };

describe('socket.io protocol framed by hand (Engine.IO v4, Socket.IO v5)', () => {
  it('connects: open -> CONNECT with auth -> CONNECT ack', () => {
    expect(socketIoProtocol.url(4000)).toBe('ws://127.0.0.1:4000/socket.io/?EIO=4&transport=websocket');
    expect(socketIoProtocol.onOpen(user)).toBeNull();
    expect(socketIoProtocol.parse('0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}', user)).toEqual({
      kind: 'reply',
      frame: '40{"token":"tok-3"}',
    });
    expect(socketIoProtocol.parse('40{"sid":"b"}', user)).toEqual({ kind: 'ready' });
    expect(socketIoProtocol.parse('44{"message":"unauthorized"}', user)).toMatchObject({ kind: 'refused' });
  });

  it('answers ping with pong, reads message events, frames sends as EVENT packets', () => {
    expect(socketIoProtocol.parse('2', user)).toEqual({ kind: 'reply', frame: '3' });
    expect(socketIoProtocol.parse('42["message",{"type":"channel.message","payload":{"text":"hi"}}]', user)).toEqual({ kind: 'text', text: 'hi' });
    expect(socketIoProtocol.parse('42["other",{}]', user)).toEqual({ kind: 'other' });
    const frame = socketIoProtocol.message(user, 'hello');
    expect(frame.startsWith('42')).toBe(true);
    expect(JSON.parse(frame.slice(2))).toEqual(['message', { channelId: 'ch3', text: 'hello' }]);
  });
});

describe('hub protocol', () => {
  it('hello, welcome, channel.message events, errors', () => {
    expect(hubProtocol.url(4000)).toBe('ws://127.0.0.1:4000/ws');
    expect(JSON.parse(hubProtocol.onOpen(user)!)).toEqual({ type: 'hello', token: 'tok-3', recent: false });
    expect(hubProtocol.parse('{"type":"welcome"}', user)).toEqual({ kind: 'ready' });
    expect(hubProtocol.parse('{"type":"event","env":{"type":"channel.message","payload":{"text":"t"}}}', user)).toEqual({ kind: 'text', text: 't' });
    expect(hubProtocol.parse('{"type":"event","env":{"type":"channel.presence","payload":{}}}', user)).toEqual({ kind: 'other' });
    expect(hubProtocol.parse('{"type":"error","code":"x"}', user)).toMatchObject({ kind: 'refused' });
    expect(JSON.parse(hubProtocol.message(user, 'm'))).toEqual({ type: 'channel.message', payload: { channelId: 'ch3', text: 'm' } });
  });
});
