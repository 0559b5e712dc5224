import { WebSocket, type RawData } from 'ws';
import {
  createEnvelope,
  decodeChatEvent,
  isAgentbusError,
  isChatEventType,
  uuidv7,
  type ChatParticipant,
  type PresenceStatus,
} from '@agentbus/schema';
import type { Identity } from '../auth';
import { ANNOUNCEMENTS_ID, compareSeq, directChannelId, directParticipants } from '../ids';
import { parseMentions } from '../mentions';
import {
  CLIENT_FRAME_SCHEMAS,
  CLIENT_FRAME_TYPES,
  isClientFrameType,
  type ClientFrameOf,
  type ParsedClientFrame,
} from '../protocol/client-frames';
import { conversationOf, seqOf } from '../protocol/frame-text';
import {
  eventFrameText,
  type ChannelView,
  type ChatErrorCode,
  type DirectView,
  type MemberView,
  type Profile,
  type ServerFrame,
} from '../protocol/server-frames';
import type { ChatAction } from '../rate-limits';
import type { MessageChange, PubSubTarget } from '../store/chat-store';
import { createFloodGuard } from './flood-guard';
import type { HubContext, HubSession } from './hub-context';
import type { RouteMember } from './router';

/** Frames of one connection waiting to be handled; past it, new ones are refused as a flood. */
const MAX_PENDING_FRAMES = 256;
/** Frames held for a session while its history is read; past it the client is too far behind. */
const MAX_QUEUED_FRAMES = 20_000;
/** Events per history frame when a gap is replayed. */
const REPLAY_PAGE = 500;
/** Close code of a refused hello (rate limited, too many connections): the client may come back later. */
const CLOSE_TRY_LATER = 4429;
/** Close code asking the client to reconnect and resume: the hub missed events it cannot replay in place. */
const CLOSE_RESYNC = 1012;

function issuesText(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(frame)'}: ${i.message}`)
    .join('; ');
}

class FrameRefused extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One WebSocket connection: authenticates with `hello`, syncs (welcome, then history, then the
 * live frames that arrived meanwhile, without duplicates), then handles frames one at a time in
 * the order sent, so a client's own messages keep their order. Whatever a frame gets wrong is
 * answered with an error or rate_limited frame; only a flood or a failed hello ends the connection.
 */
export function createSession(ws: WebSocket, ctx: HubContext, headerToken: string | undefined): HubSession {
  const { options, store, router } = ctx;
  const id = ctx.nextSessionId();
  const flood = createFloodGuard(options.flood);
  let identity: Identity | undefined;
  let participant: ChatParticipant | undefined;
  let helloSeen = false;
  /** The session is in the user's sessions hash (on every hub): closing it must take it out. */
  let registered = false;
  let phase: 'hello' | 'syncing' | 'live' | 'closed' = 'hello';
  let status: 'online' | 'away' = 'online';
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let alive = true;
  const queue: { channelId: string | undefined; frame: string | Buffer }[] = [];
  const lastSent = new Map<string, string>();
  const typingNow = new Map<string, { channelId: string; threadId: string | undefined }>();
  const member: RouteMember = {
    deliver,
    resync: () => void session.close(CLOSE_RESYNC, 'resync: the hub missed events; reconnect to resume'),
  };
  let targets: PubSubTarget[] = [];
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let resolveSocketGone: () => void = () => undefined;
  const socketGone = new Promise<void>((r) => (resolveSocketGone = r));

  const helloTimer = setTimeout(() => {
    if (phase === 'hello') {
      sendFrame({ type: 'error', code: 'unauthorized', message: `no hello within ${options.helloTimeoutMs} ms (helloTimeoutMs)` });
      ws.close(4408, 'hello timeout');
    }
  }, options.helloTimeoutMs);

  function sendRaw(frame: string | Buffer): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > options.maxBufferedBytes) {
      // A client that does not read would make the hub hold every frame for it. The close frame
      // waits behind what is buffered, so a client that stays stuck is cut off.
      ws.close(1013, 'too slow: frames backed up (maxBufferedBytes)');
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    ws.send(frame, { binary: false });
  }

  function sendFrame(frame: ServerFrame): void {
    sendRaw(JSON.stringify(frame));
  }

  function deliver(channelId: string | undefined, frame: string | Buffer): void {
    if (phase === 'live') {
      sendRaw(frame);
    } else if (phase === 'syncing') {
      if (queue.length >= MAX_QUEUED_FRAMES) {
        ws.close(1013, 'too far behind while syncing history');
        return;
      }
      queue.push({ channelId, frame });
    }
  }

  /** Read through a call: the socket may close while a frame's handler awaits. */
  const isClosed = () => phase === 'closed';

  function refuse(code: ChatErrorCode, message: string): never {
    throw new FrameRefused(code, message);
  }

  function me(): Identity {
    return identity ?? refuse('unauthorized', 'send hello with a token first');
  }

  /** A channel the user is a member of, a direct conversation the user is in, or the announcements (everyone's). */
  function checkMember(channelId: string): void {
    const who = me();
    if (channelId === ANNOUNCEMENTS_ID) return;
    const dm = directParticipants(channelId);
    if (dm) {
      if (!dm.includes(who.id)) refuse('forbidden', `not a member of conversation ${channelId}`);
    } else if (!who.channels.includes(channelId)) refuse('forbidden', `not a member of channel ${channelId}`);
  }

  /** Membership, then the user's bucket for the action; false (and a rate_limited frame) when over it. */
  async function allow(ref: string | undefined, action: ChatAction, channelId?: string): Promise<boolean> {
    if (channelId !== undefined) checkMember(channelId);
    const decision = await ctx.limits.take(me().id, action);
    if (decision.allowed) return true;
    sendFrame({ type: 'rate_limited', ...(ref ? { ref } : {}), action, retryAfterMs: decision.retryAfterMs });
    return false;
  }

  /** Validates a chat event as the schema package defines it and wraps it in an envelope. */
  function envelopeOf(type: string, payload: unknown, to: string): { id: string; json: string } {
    const decoded = decodeChatEvent({ type, payload });
    if (!decoded.ok) {
      refuse('invalid_payload', decoded.error.issues.map((i) => `${i.path || '(payload)'}: ${i.message}`).join('; '));
    }
    const env = createEnvelope({ type: decoded.value.type, from: me().id, to, payload: decoded.value.payload });
    return { id: env.id, json: JSON.stringify(env) };
  }

  async function publishEvent(target: PubSubTarget, type: string, payload: unknown, to: string): Promise<string> {
    const env = envelopeOf(type, payload, to);
    await store.publish(target, eventFrameText(env.json));
    return env.id;
  }

  function mentionsOf(text: string, given: readonly string[] | undefined): string[] {
    return given ? [...new Set(given)] : parseMentions(text, ctx.knownUsers);
  }

  async function requireMessage(channelId: string, messageId: string): Promise<string> {
    const author = await store.authorOf(channelId, messageId);
    return author ?? refuse('not_found', `no message ${messageId} in channel ${channelId}`);
  }

  function ack(ref: string | undefined, fields: { id?: string; seq?: string; messageId?: string } = {}): void {
    if (ref !== undefined) sendFrame({ type: 'ack', ref, ...fields });
  }

  async function announcePresence(presence: PresenceStatus, now: number): Promise<void> {
    const who = me();
    await store.setPresence(who.channels, who.id, { status: presence, lastSeenAt: now });
    await Promise.all(
      who.channels.map((channelId) =>
        publishEvent(
          { kind: 'channel', id: channelId },
          'channel.presence',
          { userId: who.id, status: presence, channelId, lastSeenAt: now },
          `channel:${channelId}`,
        ),
      ),
    );
  }

  async function setTyping(channelId: string, threadId: string | undefined, typing: boolean): Promise<void> {
    const key = `${channelId}|${threadId ?? ''}`;
    if (typing) typingNow.set(key, { channelId, threadId });
    else typingNow.delete(key);
    const userId = me().id;
    await store.setTyping(channelId, threadId === undefined ? { userId } : { userId, threadId }, typing, Date.now());
    await publishEvent(
      { kind: 'channel', id: channelId },
      'channel.typing',
      { channelId, userId, typing, ...(threadId === undefined ? {} : { threadId }) },
      `channel:${channelId}`,
    );
  }

  /** Sending a message ends typing in that box, even if the client did not say so. */
  async function stopTyping(channelId: string, threadId: string | undefined): Promise<void> {
    if (typingNow.has(`${channelId}|${threadId ?? ''}`)) await setTyping(channelId, threadId, false);
  }

  // ---- hello and sync ----

  async function channelViews(who: Identity, directIds: readonly string[]): Promise<{ views: ChannelView[]; directs: DirectView[]; users: Profile[] }> {
    const now = Date.now();
    const raw = await Promise.all(
      who.channels.map(async (channelId) => {
        const [info, members, presence, typing, lastSeq] = await Promise.all([
          store.channelInfo(channelId),
          store.members(channelId),
          store.presence(channelId),
          store.typing(channelId, now),
          store.lastSeq(channelId),
        ]);
        return { channelId, info, members, presence, typing, lastSeq };
      }),
    );
    const directs = await Promise.all(
      directIds.map(async (conversationId): Promise<DirectView> => {
        const [a, b] = directParticipants(conversationId) as [string, string];
        return { id: conversationId, peer: a === who.id ? b : a, lastSeq: await store.lastSeq(conversationId) };
      }),
    );
    const everyone = new Set<string>([who.id]);
    for (const r of raw) for (const m of r.members) everyone.add(m);
    for (const d of directs) everyone.add(d.peer);
    const users = await store.profiles([...everyone]);
    const byId = new Map(users.map((u) => [u.id, u]));
    const views = raw.map((r): ChannelView => {
      const members = r.members.map((userId): MemberView => {
        const profile = byId.get(userId);
        const p = r.presence.get(userId);
        return {
          id: userId,
          kind: profile?.kind ?? 'human',
          ...(profile?.name === undefined ? {} : { name: profile.name }),
          status: userId === who.id ? status : (p?.status ?? 'offline'),
          ...(p ? { lastSeenAt: p.lastSeenAt } : {}),
        };
      });
      return {
        id: r.channelId,
        name: r.info?.name ?? r.channelId,
        topic: r.info?.topic ?? '',
        description: r.info?.description ?? '',
        private: r.info?.private ?? false,
        archived: r.info?.archived ?? false,
        members,
        typing: r.typing.filter((t) => t.userId !== who.id),
        lastSeq: r.lastSeq,
      };
    });
    return { views, directs, users };
  }

  function sendHistory(channelId: string, reason: 'recent' | 'resume' | 'page', frames: string[], truncated: boolean, more: boolean, ref?: string): void {
    const last = frames.length ? seqOf(frames[frames.length - 1] as string) : undefined;
    if (last !== undefined && reason !== 'page') lastSent.set(channelId, last);
    // Stored frames are embedded as they are: no parse and re-serialise per event.
    sendRaw(
      `{"type":"history","channelId":${JSON.stringify(channelId)},"reason":"${reason}","truncated":${truncated},"more":${more}` +
        `${ref === undefined ? '' : `,"ref":${JSON.stringify(ref)}`},"events":[${frames.join(',')}]}`,
    );
  }

  /** The gap after `since`, or (undefined) the whole kept history of a conversation new to the client. */
  async function replay(channelId: string, since: string | undefined): Promise<void> {
    let cursor = since ?? '0-0';
    let sent = 0;
    let first = true;
    for (;;) {
      const want = Math.min(REPLAY_PAGE, options.replayLimit - sent);
      const page = await store.after(channelId, cursor, want);
      sent += page.frames.length;
      const full = page.frames.length === want;
      const more = full && sent < options.replayLimit;
      const truncated = (first && since !== undefined && page.trimmed) || (full && sent >= options.replayLimit);
      sendHistory(channelId, 'resume', page.frames, truncated, more);
      first = false;
      const last = page.frames.length ? seqOf(page.frames[page.frames.length - 1] as string) : undefined;
      if (!more || last === undefined || isClosed()) return;
      cursor = last;
    }
  }

  /** The identity of a token, or (undefined) the connection refused with 4401. */
  function authenticate(token: string | undefined): Identity | undefined {
    const who = token === undefined ? undefined : ctx.auth.authenticate(token);
    if (who) return who;
    sendFrame({
      type: 'error',
      code: 'unauthorized',
      message: token === undefined ? 'no token: send hello with token, or Authorization: Bearer <token> at upgrade' : 'unknown token',
    });
    ws.close(4401, 'unauthorized');
    return undefined;
  }

  /**
   * A hello costs reads per channel and up to replayLimit events per conversation, so before any
   * of it: the user's hello bucket (shared by every hub), then a place among their live sessions
   * on every hub (maxConnectionsPerUser). A refusal closes the connection (4429): a client comes
   * back on a new one, after the flood guard and the upgrade, never by retrying here.
   */
  async function admit(who: Identity, ref: string | undefined): Promise<{ live: number } | undefined> {
    const decision = await ctx.limits.take(who.id, 'hello');
    if (!decision.allowed) {
      sendFrame({ type: 'rate_limited', ...(ref ? { ref } : {}), action: 'hello', retryAfterMs: decision.retryAfterMs });
      ws.close(CLOSE_TRY_LATER, 'hello rate limited (rateLimits.hello): reconnect later');
      return undefined;
    }
    const max = options.maxConnectionsPerUser;
    const opened = await store.openSession(who.id, id, Date.now(), max);
    if (!opened.opened) {
      sendFrame({
        type: 'error',
        ...(ref ? { ref } : {}),
        code: 'too_many_connections',
        message: `user ${who.id} already has ${opened.live} open connections, the most maxConnectionsPerUser (${max}) allows: close one, or raise maxConnectionsPerUser`,
      });
      ws.close(CLOSE_TRY_LATER, 'too many connections (maxConnectionsPerUser)');
      return undefined;
    }
    registered = true;
    return { live: opened.live };
  }

  async function onHello(frame: ClientFrameOf<'hello'>): Promise<void> {
    if (helloSeen) refuse('bad_frame', 'hello was already sent on this connection (one per connection)');
    helloSeen = true;
    clearTimeout(helloTimer);
    const who = authenticate(frame.token ?? headerToken);
    if (!who) return;
    // From here a failure closes the connection (1011) rather than leave it waiting for nothing.
    phase = 'syncing';
    const admitted = await admit(who, frame.ref);
    if (!admitted) return;
    identity = who;
    participant = { id: who.id, kind: who.kind, ...(who.name === undefined ? {} : { name: who.name }) };
    if (isClosed()) return;
    ctx.sessions.add(session);
    targets = [
      ...who.channels.map((channelId): PubSubTarget => ({ kind: 'channel', id: channelId })),
      { kind: 'agent', id: who.id },
      { kind: 'global' },
    ];
    // A join waits while the hub catches up after a lost Pub/Sub connection; a socket closing meanwhile ends the wait.
    await Promise.race([Promise.all(targets.map((t) => router.join(t, member))), socketGone]);
    if (isClosed() || ws.readyState !== WebSocket.OPEN) return;
    if (admitted.live === 1) await announcePresence('online', Date.now());
    if (isClosed()) return;
    await welcomeAndHistory(who, frame);
    if (isClosed()) return;
    phase = 'live';
    for (const { channelId, frame: f } of queue.splice(0)) {
      const seq = seqOf(f);
      // Direct messages and announcements come on the user's and the global target: find their conversation in the frame.
      const conversation = seq === undefined ? undefined : (channelId ?? conversationOf(f));
      const seen = conversation === undefined ? undefined : lastSent.get(conversation);
      if (seq !== undefined && seen !== undefined && compareSeq(seq, seen) <= 0) continue;
      sendRaw(f);
    }
    lastSent.clear();
  }

  async function welcomeAndHistory(who: Identity, frame: ClientFrameOf<'hello'>): Promise<void> {
    // Read after subscribing, like the channels' history: a conversation started meanwhile is either here or in the queue.
    const directIds = new Set<string>();
    const mine = (conversationId: string) => directParticipants(conversationId)?.includes(who.id) === true;
    for (const conversationId of await store.directConversations(who.id)) if (mine(conversationId)) directIds.add(conversationId);
    for (const conversationId of Object.keys(frame.since ?? {})) if (mine(conversationId)) directIds.add(conversationId);
    const [{ views, directs, users }, announcementsSeq] = await Promise.all([
      channelViews(who, [...directIds].sort()),
      store.lastSeq(ANNOUNCEMENTS_ID),
    ]);
    if (isClosed()) return;
    sendFrame({
      type: 'welcome',
      hubId: options.hubId,
      sessionId: id,
      user: { id: who.id, kind: who.kind, ...(who.name === undefined ? {} : { name: who.name }), announce: who.announce },
      channels: views,
      directs,
      announcements: { id: ANNOUNCEMENTS_ID, lastSeq: announcementsSeq },
      users,
      heartbeatMs: options.heartbeatMs,
      typingTtlMs: options.typingTtlMs,
      maxFrameBytes: options.maxFrameBytes,
    });
    for (const channelId of who.channels) {
      if (isClosed()) return;
      const since = frame.since?.[channelId];
      if (since !== undefined) await replay(channelId, since);
      else if (frame.recent !== false) {
        const recent = await store.recent(channelId);
        sendHistory(channelId, 'recent', recent, false, recent.length >= options.recentLimit);
      }
    }
    // Direct conversations, then the announcements (every user's).
    for (const conversationId of [...directs.map((d) => d.id), ANNOUNCEMENTS_ID]) {
      if (isClosed()) return;
      const since = frame.since?.[conversationId];
      // A client resuming (it sent `since`) but without this conversation has seen none of it.
      if (since !== undefined || frame.since !== undefined) await replay(conversationId, since);
      else if (frame.recent !== false) {
        const recent = await store.recent(conversationId);
        sendHistory(conversationId, 'recent', recent, false, recent.length >= options.recentLimit);
      }
    }
  }

  // ---- frames ----

  async function handle(frame: ParsedClientFrame): Promise<void> {
    if (frame.type === 'hello') return onHello(frame);
    const who = me();
    const ref = frame.ref;
    switch (frame.type) {
      case 'ping':
        sendFrame({ type: 'pong', ...(ref ? { ref } : {}), ts: Date.now() });
        return;
      case 'presence': {
        if (!(await allow(ref, 'presence'))) return;
        status = frame.status === 'away' ? 'away' : 'online';
        await announcePresence(status, Date.now());
        ack(ref);
        return;
      }
      case 'history': {
        if (!(await allow(ref, 'history', frame.channelId))) return;
        const limit = frame.limit ?? 50;
        const frames = await store.before(frame.channelId, frame.before, limit);
        sendHistory(frame.channelId, 'page', frames, false, frames.length === limit, ref);
        return;
      }
      case 'direct': {
        if (!(await allow(ref, 'message'))) return;
        if (!ctx.knownUsers.has(frame.to)) refuse('not_found', `no user ${frame.to} to send a direct message to`);
        const messageId = uuidv7();
        const conversationId = directChannelId(who.id, frame.to);
        const env = envelopeOf(
          'channel.message',
          { channelId: conversationId, messageId, author: participant, text: frame.text, mentions: mentionsOf(frame.text, frame.mentions) },
          frame.to,
        );
        // Kept like a channel message, and published to both users' sessions on every hub.
        const seq = await store.appendDirect(conversationId, [who.id, frame.to], env.json, { messageId, userId: who.id });
        ack(ref, { id: env.id, seq, messageId });
        return;
      }
      case 'announce': {
        if (!who.announce) refuse('forbidden', 'announcements need a token with announce: true');
        const env = envelopeOf('system.announcement', { message: frame.message, level: frame.level ?? 'info' }, 'broadcast');
        if (!(await allow(ref, 'announce'))) return;
        // Kept like a channel's events (ANNOUNCEMENTS_ID), and published on the global target of every hub.
        const seq = await store.appendAnnouncement(env.json);
        ack(ref, { id: env.id, seq });
        return;
      }
      case 'channel.typing': {
        const p = frame.payload;
        if (!(await allow(ref, 'typing', p.channelId))) return;
        await setTyping(p.channelId, p.threadId, p.typing);
        ack(ref);
        return;
      }
      default:
        return appendEvent(frame);
    }
  }

  /** Chat events kept in the channel's history. */
  async function appendEvent(frame: Extract<ParsedClientFrame, { payload: { channelId: string } }>): Promise<void> {
    const who = me();
    const ref = frame.ref;
    const channelId = frame.payload.channelId;
    checkMember(channelId);
    const to = `channel:${channelId}`;
    let author: { messageId: string; userId: string } | undefined;
    /** An edit or delete: the store checks the author in the same atomic step as the write. */
    let change: (MessageChange & { verb: 'edit' | 'delete' }) | undefined;
    let payload: Record<string, unknown>;
    let action: ChatAction;
    /** Checks that need Redis: run only once the rate limit allowed the frame. */
    let check: (() => Promise<void>) | undefined;
    let after: (() => Promise<void>) | undefined;
    switch (frame.type) {
      case 'channel.message': {
        const p = frame.payload;
        action = 'message';
        author = { messageId: uuidv7(), userId: who.id };
        payload = { channelId, messageId: author.messageId, author: participant, text: p.text, mentions: mentionsOf(p.text, p.mentions) };
        after = () => stopTyping(channelId, undefined);
        break;
      }
      case 'thread.message': {
        const p = frame.payload;
        action = 'message';
        author = { messageId: uuidv7(), userId: who.id };
        payload = {
          channelId,
          threadId: p.threadId,
          messageId: author.messageId,
          author: participant,
          text: p.text,
          mentions: mentionsOf(p.text, p.mentions),
          alsoInChannel: p.alsoInChannel ?? false,
        };
        check = async () => {
          await requireMessage(channelId, p.threadId);
          if (await store.openThread(channelId, p.threadId)) {
            const created = envelopeOf('thread.create', { channelId, threadId: p.threadId, parentMessageId: p.threadId, createdBy: who.id }, to);
            await store.append(channelId, created.json);
          }
        };
        after = () => stopTyping(channelId, p.threadId);
        break;
      }
      case 'channel.message.edit':
      case 'channel.message.delete': {
        action = 'edit';
        change = { messageId: frame.payload.messageId, userId: who.id, verb: frame.type === 'channel.message.edit' ? 'edit' : 'delete' };
        payload =
          frame.type === 'channel.message.edit'
            ? { ...frame.payload, editedBy: who.id, mentions: mentionsOf(frame.payload.text, frame.payload.mentions) }
            : { ...frame.payload, deletedBy: who.id };
        break;
      }
      case 'channel.reaction.add':
      case 'channel.reaction.remove': {
        const messageId = frame.payload.messageId;
        action = 'reaction';
        payload = { ...frame.payload, userId: who.id };
        check = async () => void (await requireMessage(channelId, messageId));
        break;
      }
      case 'thread.update': {
        const threadId = frame.payload.threadId;
        action = 'update';
        payload = { ...frame.payload, updatedBy: who.id };
        check = async () => void (await requireMessage(channelId, threadId));
        break;
      }
      case 'channel.update': {
        const { topic, description } = frame.payload;
        action = 'update';
        payload = { ...frame.payload, updatedBy: who.id };
        after = () => store.updateChannel(channelId, { topic, description });
        break;
      }
      case 'collaboration.event':
        action = 'message';
        payload = { ...frame.payload, actor: who.id };
        break;
      default:
        return refuse('unknown_type', `unhandled frame type ${(frame as { type: string }).type}`);
    }
    // Validate first: a bad frame costs no token and no Redis call.
    const env = envelopeOf(frame.type, payload, to);
    if (!(await allow(ref, action))) return;
    await check?.();
    const seq = change ? await changeMessage(channelId, env.json, change) : await store.append(channelId, env.json, author);
    ack(ref, { id: env.id, seq, ...(author ? { messageId: author.messageId } : {}) });
    await after?.();
  }

  async function changeMessage(channelId: string, envJson: string, change: MessageChange & { verb: 'edit' | 'delete' }): Promise<string> {
    const { verb, ...who } = change;
    const outcome = verb === 'edit' ? await store.editMessage(channelId, envJson, who) : await store.deleteMessage(channelId, envJson, who);
    if ('seq' in outcome) return outcome.seq;
    return outcome.refused === 'forbidden'
      ? refuse('forbidden', `only its author may ${verb} message ${change.messageId}`)
      : refuse('not_found', `no message ${change.messageId} in channel ${channelId}`);
  }

  // ---- transport ----

  function refuseFrame(ref: unknown, code: ChatErrorCode, message: string): void {
    sendFrame({ type: 'error', ...(typeof ref === 'string' && ref.length <= 64 ? { ref } : {}), code, message });
  }

  function onMessage(data: RawData, isBinary: boolean): void {
    if (isClosed()) return;
    const verdict = flood.check();
    if (verdict !== 'ok') {
      if (verdict === 'close') ws.close(1008, 'flooding: too many frames (flood.closeAfterDropped)');
      else if (verdict === 'notify') sendFrame({ type: 'rate_limited', action: 'frames', retryAfterMs: flood.retryAfterMs() });
      return;
    }
    if (pending >= MAX_PENDING_FRAMES) {
      sendFrame({ type: 'rate_limited', action: 'frames', retryAfterMs: 100 });
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > options.maxFrameBytes) {
      refuseFrame(undefined, 'too_large', `frame of ${bytes.length} bytes is over the hub's limit of ${options.maxFrameBytes} (maxFrameBytes)`);
      return;
    }
    if (isBinary) {
      refuseFrame(undefined, 'bad_frame', 'binary frame: send JSON text frames');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      refuseFrame(undefined, 'bad_frame', `not JSON: ${(e as Error).message}`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      refuseFrame(undefined, 'bad_frame', 'a frame is a JSON object with a string "type"');
      return;
    }
    const { type, ref } = value as { type: string; ref?: unknown };
    if (!isClientFrameType(type)) {
      if (isChatEventType(type)) refuseFrame(ref, 'unsupported', `${type} events come from the hub; clients send ${CLIENT_FRAME_TYPES.join(', ')}`);
      else refuseFrame(ref, 'unknown_type', `unknown frame type ${JSON.stringify(type.slice(0, 100))}; clients send ${CLIENT_FRAME_TYPES.join(', ')}`);
      return;
    }
    const parsed = CLIENT_FRAME_SCHEMAS[type].safeParse(value);
    if (!parsed.success) {
      refuseFrame(ref, 'invalid_payload', `${type}: ${issuesText(parsed.error.issues)}`);
      return;
    }
    const frame = parsed.data as ParsedClientFrame;
    pending++;
    chain = chain
      .then(() => (phase === 'closed' && frame.type !== 'hello' ? undefined : handle(frame)))
      .catch((error: unknown) => {
        if (error instanceof FrameRefused) {
          refuseFrame(ref, error.code, error.message);
          return;
        }
        options.log(`chat-hub ${options.hubId}: session ${id} (${identity?.id ?? 'no hello'}) ${type}: ${(error as Error).message}`);
        refuseFrame(ref, 'internal', isAgentbusError(error) ? `${error.code}: ${error.message}` : 'the hub failed to handle this frame; send it again');
        // A session that never finished its sync would receive no events: start over.
        if (phase === 'syncing') ws.close(1011, 'sync failed; reconnect');
      })
      .finally(() => {
        pending--;
      });
  }

  async function cleanup(): Promise<void> {
    clearTimeout(helloTimer);
    phase = 'closed';
    queue.length = 0;
    // Let a hello in progress finish first, so its session is not registered after it was removed.
    await chain.catch(() => undefined);
    ctx.sessions.delete(session);
    for (const t of targets) router.leave(t, member);
    const who = identity;
    if (!who || !registered) return;
    try {
      for (const { channelId, threadId } of [...typingNow.values()]) await setTyping(channelId, threadId, false);
      const now = Date.now();
      if ((await store.closeSession(who.id, id, now)) === 0) await announcePresence('offline', now);
    } catch (error) {
      options.log(`chat-hub ${options.hubId}: session ${id} (${who.id}) close: ${(error as Error).message}`);
    }
  }

  ws.on('message', onMessage);
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('error', () => undefined);
  ws.once('close', () => {
    resolveSocketGone();
    void cleanup().finally(resolveClosed);
  });

  const session: HubSession = {
    id,
    get userId() {
      return identity?.id;
    },
    get channels() {
      return identity?.channels ?? [];
    },
    get status() {
      return status;
    },
    done: closed,
    heartbeat() {
      if (!alive) {
        ws.terminate();
        return false;
      }
      alive = false;
      ws.ping();
      return true;
    },
    async close(code, reason) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
      // A peer that does not answer the close handshake is cut off.
      const t = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(t);
    },
  };
  return session;
}
