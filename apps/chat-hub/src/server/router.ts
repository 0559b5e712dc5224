import type { ChatStore, PubSubTarget } from '../store/chat-store';

/** A local receiver of Pub/Sub frames: a session. */
export interface RouteMember {
  /** `channelId` is set for frames of a channel target (history order matters there). */
  deliver(channelId: string | undefined, frame: string | Buffer): void;
}

export interface Router {
  /** Adds the member to the target's receivers; resolves once the hub's subscription is live. */
  join(target: PubSubTarget, member: RouteMember): Promise<void>;
  leave(target: PubSubTarget, member: RouteMember): void;
  /** Targets this hub is subscribed to. */
  targets(): number;
}

const keyOf = (t: PubSubTarget) => (t.kind === 'global' ? 'global' : `${t.kind}:${t.id}`);

/**
 * One store subscription per target per hub, however many local sessions want it: a frame
 * arrives once from Redis and is written to each local socket. The subscription is dropped when
 * the last local session leaves, so a hub listens only to channels someone on it belongs to.
 */
export function createRouter(store: ChatStore, onError: (error: unknown, target: PubSubTarget) => void): Router {
  const routes = new Map<string, { members: Set<RouteMember>; ready: Promise<void> }>();
  return {
    join(target, member) {
      const key = keyOf(target);
      let route = routes.get(key);
      if (!route) {
        const members = new Set<RouteMember>();
        const channelId = target.kind === 'channel' ? target.id : undefined;
        const ready = store.subscribe(target, (frame) => {
          for (const m of members) m.deliver(channelId, frame);
        });
        route = { members, ready };
        routes.set(key, route);
        ready.catch((error: unknown) => {
          // A failed subscription is retried by the next session that joins.
          if (routes.get(key) === route) routes.delete(key);
          onError(error, target);
        });
      }
      route.members.add(member);
      return route.ready;
    },
    leave(target, member) {
      const key = keyOf(target);
      const route = routes.get(key);
      if (!route || !route.members.delete(member) || route.members.size > 0) return;
      routes.delete(key);
      store.unsubscribe(target).catch((error: unknown) => onError(error, target));
    },
    targets: () => routes.size,
  };
}
