import { AgentbusError, ERROR_CODES, decodeEnvelope, encodeEnvelope, type EnvelopeCodecOptions, type KeyBuilder } from '@agentbus/schema';
import type { PubSubBackend, RawMessageHandler } from './internal/stream-backend';
import type { PubSub, SubscribeOptions, Subscription, SubscriptionHandler } from './types';

/** Pub/Sub with envelopes: namespaced channel names, decode and validate on receipt. */
export function createPubSub(
  backend: PubSubBackend,
  keys: KeyBuilder,
  codec: EnvelopeCodecOptions,
  guard: () => void,
  sharded: boolean,
): PubSub {
  const prefix = keys.channel('x').slice(0, -1);

  function subscription(
    name: string,
    key: string,
    handler: SubscriptionHandler,
    options: SubscribeOptions | undefined,
    on: (key: string, h: RawMessageHandler) => Promise<void>,
    off: (key: string, h: RawMessageHandler) => Promise<void>,
  ): Subscription {
    guard();
    const raw: RawMessageHandler = (text, channel) => {
      const userChannel = channel.startsWith(prefix) ? channel.slice(prefix.length) : channel;
      const decoded = decodeEnvelope(text, codec);
      if (!decoded.ok) {
        options?.onInvalid?.(text, decoded.error, userChannel);
        return;
      }
      try {
        handler(decoded.value, userChannel);
      } catch (error) {
        // One subscriber's bug must not keep the message from the others on this connection.
        const e = error instanceof Error ? error : new Error(String(error));
        if (options?.onError) options.onError(e, userChannel);
        else process.emitWarning(`agentbus: a Pub/Sub handler for ${userChannel} threw: ${e.message}`);
      }
    };
    const ready = on(key, raw);
    // The caller may never await ready(); keep a rejection from going unhandled.
    ready.catch(() => undefined);
    let active = true;
    return {
      channel: name,
      ready: () => ready,
      async unsubscribe() {
        if (!active) return;
        active = false;
        await ready.catch(() => undefined);
        await off(key, raw);
      },
    };
  }

  return {
    async publish(channel, env) {
      guard();
      const encoded = encodeEnvelope(env, codec);
      if (!encoded.ok) throw encoded.error;
      return backend.publish(keys.channel(channel), encoded.value);
    },
    subscribe: (channel, handler, options) =>
      subscription(channel, keys.channel(channel), handler, options, backend.subscribe, backend.unsubscribe),
    psubscribe: (pattern, handler, options) => {
      if (sharded) {
        throw new AgentbusError(
          ERROR_CODES.INVALID_ARGUMENT,
          `psubscribe(${JSON.stringify(pattern)}): sharded Pub/Sub on a Cluster has no pattern subscriptions; create the transport with pubsubMode: 'classic' to use them`,
        );
      }
      return subscription(pattern, keys.channelPattern(pattern), handler, options, backend.psubscribe, backend.punsubscribe);
    },
  };
}
