import { ANNOUNCEMENTS_ID, compareSeq, directParticipants } from '../ids';
import { conversationOf, seqOf } from '../protocol/frame-text';
import type { ChatStore, PubSubTarget } from '../store/chat-store';

/** A local receiver of Pub/Sub frames: a session. */
export interface RouteMember {
  /** `channelId` is set for frames of a channel target (history order matters there). */
  deliver(channelId: string | undefined, frame: string | Buffer): void;
  /**
   * The hub missed frames of a target and cannot replay them exactly (past `replayLimit`, trimmed,
   * or its resume point unknown): the session should reconnect and resume from its client's own
   * last seen seqs, as after any dropped connection.
   */
  resync(): void;
}

export interface Router {
  /** Adds the member to the target's receivers; resolves once the hub's subscription is live. */
  join(target: PubSubTarget, member: RouteMember): Promise<void>;
  leave(target: PubSubTarget, member: RouteMember): void;
  /** Targets this hub is subscribed to. */
  targets(): number;
}

export interface RouterOptions {
  /** Most events replayed per conversation after the Pub/Sub connection came back; past it the members resync. */
  replayLimit: number;
  /** A failed subscription or catch-up read (logged; the members resync). */
  onError(error: unknown, target: PubSubTarget): void;
}

/** Events per stream read while a route catches up. */
const CATCH_UP_PAGE = 500;
/** Live frames held for one route while it catches up; past it the members resync instead. */
const MAX_HELD_FRAMES = 20_000;

interface Route {
  readonly key: string;
  readonly target: PubSubTarget;
  readonly members: Set<RouteMember>;
  readonly ready: Promise<void>;
  /** The subscription went live once: members may have passed `join` and expect its frames. */
  subscribed: boolean;
  /** Per conversation, the newest seq forwarded, or kept when the subscription went live (the baseline). */
  readonly last: Map<string, string>;
  /** `last` was read while subscribed: it holds every conversation of the target, so a gap can be replayed exactly. */
  baselined: boolean;
  /** Frames that arrived while the route was catching up, in arrival order; undefined when live. */
  held: (string | Buffer)[] | undefined;
  overflow: boolean;
  /** Drop frames not newer than `last`: right after a catch-up, frames read from the stream may still arrive live. */
  dedupe: boolean;
  catchingUp: boolean;
  /** Joins waiting for the route to be live again: a session reads its history only once no gap is left. */
  waiters: (() => void)[];
}

class ResyncNeeded extends Error {}

const keyOf = (t: PubSubTarget) => (t.kind === 'global' ? 'global' : `${t.kind}:${t.id}`);

/**
 * One store subscription per target per hub, however many local sessions want it: a frame
 * arrives once from Redis and is written to each local socket. The subscription is dropped when
 * the last local session leaves, so a hub listens only to channels someone on it belongs to.
 *
 * Frames published while the hub's Pub/Sub connection is down never arrive, and the sockets of
 * its sessions stay up, so no client would notice. So each route remembers the newest seq it
 * forwarded per conversation; when the store says the connection is back, the route holds live
 * frames, forwards what its conversations' streams have after those seqs (each event once, in
 * order), then the held frames it did not already forward.
 */
export function createRouter(store: ChatStore, options: RouterOptions): Router {
  const routes = new Map<string, Route>();
  /** Counts connection losses: a baseline read across one may include events the hub missed. */
  let epoch = 0;
  let connected = true;

  /** Writes a frame to the route's members; false for a kept event not newer than the last forwarded (when deduping). */
  function forward(route: Route, frame: string | Buffer, dedupe: boolean): boolean {
    const seq = seqOf(frame);
    if (seq !== undefined) {
      const conversation = route.target.kind === 'channel' ? route.target.id : route.target.kind === 'global' ? ANNOUNCEMENTS_ID : conversationOf(frame);
      if (conversation !== undefined) {
        const last = route.last.get(conversation);
        if (dedupe && last !== undefined && compareSeq(seq, last) <= 0) return false;
        route.last.set(conversation, seq);
      }
    }
    const channelId = route.target.kind === 'channel' ? route.target.id : undefined;
    for (const m of route.members) m.deliver(channelId, frame);
    return seq !== undefined;
  }

  function onFrame(route: Route, frame: string | Buffer): void {
    if (route.held === undefined) {
      // A channel's frames arrive in stream order: once one is new, so is every one after it.
      if (forward(route, frame, route.dedupe) && route.target.kind === 'channel') route.dedupe = false;
    } else if (route.held.length < MAX_HELD_FRAMES) route.held.push(frame);
    else route.overflow = true;
  }

  function goLive(route: Route): void {
    route.held = undefined;
    route.overflow = false;
    for (const wake of route.waiters.splice(0)) wake();
  }

  /** The conversations a target carries: a channel, the announcements, or a user's direct conversations. */
  async function conversationsOf(target: PubSubTarget): Promise<string[]> {
    if (target.kind === 'channel') return [target.id];
    if (target.kind === 'global') return [ANNOUNCEMENTS_ID];
    return (await store.directConversations(target.id)).filter((c) => directParticipants(c)?.includes(target.id) === true);
  }

  /** Each conversation's newest seq now (`0-0` for one with no history: replayed from its start). */
  async function latestOf(target: PubSubTarget): Promise<Map<string, string>> {
    const ids = await conversationsOf(target);
    const seqs = await Promise.all(ids.map((id) => store.lastSeq(id)));
    return new Map(ids.map((id, i) => [id, seqs[i] ?? '0-0']));
  }

  /** Read once subscribed: any event after it reaches the route live. */
  async function readBaseline(route: Route): Promise<void> {
    const at = epoch;
    try {
      const latest = await latestOf(route.target);
      if (at !== epoch || routes.get(route.key) !== route) return;
      for (const [conversation, seq] of latest) {
        const last = route.last.get(conversation);
        if (last === undefined || compareSeq(seq, last) > 0) route.last.set(conversation, seq);
      }
      route.baselined = true;
    } catch (error) {
      options.onError(error, route.target);
    }
  }

  /** Forwards what the stream has after the route's last seq for one conversation. */
  async function replayGap(route: Route, conversation: string): Promise<void> {
    let replayed = 0;
    for (;;) {
      const known = route.last.get(conversation);
      const page = await store.after(conversation, known ?? '0-0', CATCH_UP_PAGE);
      if (routes.get(route.key) !== route) return;
      // `0-0`: the stream was empty, so an oldest entry newer than it is no sign of trimming.
      if (known !== undefined && known !== '0-0' && page.trimmed) throw new ResyncNeeded(`${conversation}: events after ${known} were trimmed`);
      replayed += page.frames.length;
      if (replayed > options.replayLimit) throw new ResyncNeeded(`${conversation}: more than replayLimit (${options.replayLimit}) events missed`);
      for (const f of page.frames) forward(route, f, true);
      if (page.frames.length < CATCH_UP_PAGE) return;
    }
  }

  function resync(route: Route): void {
    route.dedupe = false;
    route.baselined = false;
    route.last.clear();
    goLive(route);
    for (const m of [...route.members]) m.resync();
    // Sessions joining meanwhile keep the route: it needs a resume point again.
    void readBaseline(route);
  }

  async function catchUp(route: Route): Promise<void> {
    if (route.catchingUp) return;
    route.catchingUp = true;
    try {
      for (;;) {
        const at = epoch;
        if (!route.baselined) throw new ResyncNeeded('the connection dropped before the route knew where it was');
        route.dedupe = true;
        const conversations = new Set([...route.last.keys(), ...(await conversationsOf(route.target))]);
        for (const conversation of conversations) await replayGap(route, conversation);
        if (routes.get(route.key) !== route || !connected) return;
        // Lost and back again while reading: read on from where the route got to.
        if (at !== epoch) continue;
        if (route.overflow) throw new ResyncNeeded(`more than ${MAX_HELD_FRAMES} live frames while catching up`);
        const held = route.held ?? [];
        goLive(route);
        for (const f of held) forward(route, f, true);
        return;
      }
    } catch (error) {
      if (!(error instanceof ResyncNeeded)) {
        options.onError(error, route.target);
        // Still disconnected: the next resumed() tries again.
        if (!connected) return;
      }
      if (routes.get(route.key) === route) resync(route);
    } finally {
      route.catchingUp = false;
    }
  }

  store.watchSubscriptions({
    lost() {
      epoch++;
      connected = false;
      // A route not subscribed yet has no member past join: its subscription and baseline come after the reconnect.
      for (const route of routes.values()) if (route.subscribed) route.held ??= [];
    },
    resumed() {
      connected = true;
      for (const route of routes.values()) if (route.held) void catchUp(route);
    },
  });

  function createRoute(target: PubSubTarget): Route {
    const key = keyOf(target);
    const route: Route = {
      key,
      target,
      members: new Set(),
      ready: store.subscribe(target, (frame) => onFrame(route, frame)),
      subscribed: false,
      last: new Map(),
      baselined: false,
      held: undefined,
      overflow: false,
      dedupe: false,
      catchingUp: false,
      waiters: [],
    };
    routes.set(key, route);
    route.ready.then(
      () => {
        route.subscribed = true;
        return readBaseline(route);
      },
      (error: unknown) => {
        // A failed subscription is retried by the next session that joins.
        if (routes.get(key) === route) routes.delete(key);
        options.onError(error, target);
      },
    );
    return route;
  }

  return {
    async join(target, member) {
      const route = routes.get(keyOf(target)) ?? createRoute(target);
      route.members.add(member);
      await route.ready;
      if (route.held) await new Promise<void>((wake) => route.waiters.push(wake));
    },
    leave(target, member) {
      const key = keyOf(target);
      const route = routes.get(key);
      if (!route || !route.members.delete(member) || route.members.size > 0) return;
      routes.delete(key);
      store.unsubscribe(target).catch((error: unknown) => options.onError(error, target));
    },
    targets: () => routes.size,
  };
}
