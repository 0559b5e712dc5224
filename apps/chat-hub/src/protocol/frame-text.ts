import { conversationOfEvent } from '../ids';

const SEQ_PREFIX = '{"type":"event","seq":"';

/**
 * The seq of an event frame text, read without parsing the frame: every kept frame starts the
 * way eventFrameText() and append.lua write it, so this stays cheap on the path of every frame.
 */
export function seqOf(frame: string | Buffer): string | undefined {
  const head = typeof frame === 'string' ? frame.slice(0, 64) : frame.subarray(0, 64).toString('latin1');
  if (!head.startsWith(SEQ_PREFIX)) return undefined;
  const end = head.indexOf('"', SEQ_PREFIX.length);
  return end < 0 ? undefined : head.slice(SEQ_PREFIX.length, end);
}

/**
 * The conversation of an event frame from a user's or the global Pub/Sub target (a direct
 * message, an announcement). It parses the frame, so it runs only where a channel id is not
 * known already: once per frame per hub, never per socket.
 */
export function conversationOf(frame: string | Buffer): string | undefined {
  try {
    const env = (JSON.parse(frame.toString()) as { env?: { type?: unknown; payload?: unknown } }).env;
    return typeof env?.type === 'string' ? conversationOfEvent(env.type, env.payload) : undefined;
  } catch {
    return undefined;
  }
}
