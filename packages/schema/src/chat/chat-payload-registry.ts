import { createPayloadRegistry, type PayloadRegistry } from '../envelope-codec';
import {
  CHAT_PAYLOAD_SCHEMAS,
  SYSTEM_EVENT_PREFIX,
  isChatEventType,
  isNamedChatEventType,
  systemChatPayloadSchema,
} from './chat-events';

/**
 * A PayloadRegistry with every chat payload schema, for `decodeEnvelope(text, { payloads })`.
 *
 * `system.*` is a prefix rule, not an entry: `get('system.restart')` returns the system payload
 * schema for any valid `system.<suffix>` type not registered by its exact name, so a schema
 * registered for one notice (`register('system.restart', s)`) wins over the rule. `types()` lists
 * the rule as `system.*`. Pass `base` to add the chat schemas to a registry that holds other
 * types; the returned registry wraps it, and registering through either one is seen by both.
 */
export function createChatPayloadRegistry(base: PayloadRegistry = createPayloadRegistry()): PayloadRegistry {
  for (const type of Object.keys(CHAT_PAYLOAD_SCHEMAS)) {
    if (isNamedChatEventType(type)) base.register(type, CHAT_PAYLOAD_SCHEMAS[type]);
  }
  const registry: PayloadRegistry = {
    register(type, schema) {
      base.register(type, schema);
      return registry;
    },
    get(type) {
      const exact = base.get(type);
      if (exact !== undefined) return exact;
      return type.startsWith(SYSTEM_EVENT_PREFIX) && isChatEventType(type) ? systemChatPayloadSchema : undefined;
    },
    types: () => [...base.types(), `${SYSTEM_EVENT_PREFIX}*`],
  };
  return registry;
}
