import type { BenchUser, ContenderName } from './workload';

/** What a client makes of one frame from the server. */
export type ClientEvent =
  | { kind: 'ready' }
  | { kind: 'text'; text: string }
  | { kind: 'reply'; frame: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'other' };

/**
 * One client side of a contender's wire protocol, over a plain `ws` socket. Both contenders'
 * clients are the same code (one WebSocket, one JSON.parse per frame), so the load generator
 * costs the same per message whichever server it drives; socket.io-client would add its own
 * event machinery to one side only.
 */
export interface ClientProtocol {
  url(port: number): string;
  /** Frames to send once the socket is open (null: wait for the server to speak first). */
  onOpen(user: BenchUser): string | null;
  parse(data: string, user: BenchUser): ClientEvent;
  /** The frame that sends `text` to the user's channel. */
  message(user: BenchUser, text: string): string;
}

interface HubFrame {
  type?: string;
  env?: { type?: string; payload?: { text?: string } };
}

/** The chat hub's protocol: `hello` with the token, `welcome`, then `event` frames. */
export const hubProtocol: ClientProtocol = {
  url: (port) => `ws://127.0.0.1:${port}/ws`,
  onOpen: (user) => JSON.stringify({ type: 'hello', token: user.token, recent: false }),
  parse(data) {
    const frame = JSON.parse(data) as HubFrame;
    if (frame.type === 'event' && frame.env?.type === 'channel.message') return { kind: 'text', text: frame.env.payload?.text ?? '' };
    if (frame.type === 'welcome') return { kind: 'ready' };
    if (frame.type === 'error') return { kind: 'refused', detail: data.slice(0, 200) };
    return { kind: 'other' };
  },
  message: (user, text) => JSON.stringify({ type: 'channel.message', payload: { channelId: user.channel, text } }),
};

/**
 * Socket.IO 4 over its websocket transport (Engine.IO v4), framed by hand: the server opens with
 * `0{sid,...}`, the client connects to namespace `/` with its auth as `40{"token":...}`, the server
 * answers `40{sid}` (or `44{message}`), events are `42["name",data]`, and the server's ping `2` is
 * answered with pong `3`.
 */
export const socketIoProtocol: ClientProtocol = {
  url: (port) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
  onOpen: () => null,
  parse(data, user) {
    if (data.startsWith('42')) {
      const [name, env] = JSON.parse(data.slice(2)) as [string, { payload?: { text?: string } }];
      return name === 'message' ? { kind: 'text', text: env?.payload?.text ?? '' } : { kind: 'other' };
    }
    if (data === '2') return { kind: 'reply', frame: '3' };
    if (data.startsWith('40')) return { kind: 'ready' };
    if (data.startsWith('0')) return { kind: 'reply', frame: `40${JSON.stringify({ token: user.token })}` };
    if (data.startsWith('44')) return { kind: 'refused', detail: data.slice(2, 200) };
    return { kind: 'other' };
  },
  message: (user, text) => `42${JSON.stringify(['message', { channelId: user.channel, text }])}`,
};

export const PROTOCOLS: Record<ContenderName, ClientProtocol> = { ours: hubProtocol, socketio: socketIoProtocol };
