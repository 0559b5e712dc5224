// The chat page: plain DOM, no framework. It speaks the same protocol as the typed agent client:
// hello with a token, then welcome, history and live event frames; every frame it sends is one
// the hub validates. State lives here; the DOM is updated per message, not re-rendered whole.
'use strict';

(() => {
  const QUICK_REACTIONS = ['👍', '❤️', '😄', '🎉', '👀'];
  const TYPING_RESEND_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  /** The conversation that keeps hub-wide announcements (ANNOUNCEMENTS_ID in src/ids.ts). */
  const ANNOUNCEMENTS = 'system:announcements';
  /** Announcements shown in the sidebar, newest first. */
  const ANNOUNCEMENTS_SHOWN = 20;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    ws: null,
    me: null,
    users: new Map(),
    /** channelId -> channel (also direct-message conversations, ids `dm:a:b`). */
    channels: new Map(),
    current: null,
    thread: null,
    lastSeen: {},
    /** Kept announcements received (recent, replayed or live), oldest first. */
    announcements: [],
    typingTtlMs: 10000,
    refs: 0,
    pending: new Map(),
    reconnectDelay: 250,
    /** When a rate-limited hello may be tried again (ms since epoch). */
    helloRetryAt: 0,
    closedForGood: false,
  };

  // ---------- helpers ----------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function hue(id) {
    let h = 0;
    for (const c of id) h = (h * 31 + c.codePointAt(0)) % 360;
    return h;
  }

  function avatar(id, small) {
    const user = state.users.get(id);
    const a = el('span', small ? 'avatar small' : 'avatar', (user?.name || id).slice(0, 1).toUpperCase());
    a.style.background = `hsl(${hue(id)} 45% 42%)`;
    return a;
  }

  function nameOf(id) {
    return state.users.get(id)?.name || id;
  }

  function seqNewer(a, b) {
    const [am, as] = a.split('-').map(BigInt);
    const [bm, bs] = b.split('-').map(BigInt);
    return am !== bm ? am > bm : as > bs;
  }

  function timeOf(ts) {
    return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function toast(text, level) {
    const t = el('div', `toast ${level || ''}`, text);
    $('toasts').append(t);
    setTimeout(() => t.remove(), 8000);
  }

  function channel(id) {
    let c = state.channels.get(id);
    if (!c) {
      c = {
        id,
        name: id,
        topic: '',
        members: new Map(),
        messages: new Map(),
        order: [],
        replies: new Map(),
        typing: new Map(),
        unread: 0,
        oldest: null,
        dm: id.startsWith('dm:'),
        // Older pages arrive after newer events: a delete or an edit can come before its message.
        /** Ids of messages deleted: never shown when they arrive later. */
        deleted: new Set(),
        /** messageId -> the newest edit of a message not loaded yet ({text, mentions, seq}). */
        edits: new Map(),
      };
      state.channels.set(id, c);
    }
    return c;
  }

  // ---------- connection ----------

  function send(frame) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const ref = `w${++state.refs}`;
    state.ws.send(JSON.stringify({ ...frame, ref }));
    return new Promise((resolve, reject) => {
      state.pending.set(ref, { resolve, reject });
      setTimeout(() => {
        if (state.pending.delete(ref)) reject(new Error('no answer from the hub'));
      }, 10000);
    });
  }

  function connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = () => {
      const since = Object.keys(state.lastSeen).length ? { since: state.lastSeen } : {};
      ws.send(JSON.stringify({ type: 'hello', token: state.token, client: 'web/1', ...since }));
    };
    ws.onmessage = (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      onFrame(frame);
    };
    ws.onclose = (e) => {
      if (state.ws === ws) state.ws = null;
      $('conn').classList.remove('up');
      for (const p of state.pending.values()) p.reject(new Error('connection closed'));
      state.pending.clear();
      if (e.code === 4401) {
        state.closedForGood = true;
        sessionStorage.removeItem('agentbus-chat-token');
        showLogin('That token was not accepted.');
        return;
      }
      if (state.closedForGood) return;
      banner(
        e.code === 4429
          ? 'The hub turned this connection away for now (too many connections or reconnects); trying again…'
          : 'Reconnecting… messages sent meanwhile will appear when the connection is back.',
      );
      // A rate-limited hello said when to come back; sooner would only be refused again.
      setTimeout(connect, Math.max(state.reconnectDelay, state.helloRetryAt - Date.now()));
      state.reconnectDelay = Math.min(5000, state.reconnectDelay * 2);
    };
  }

  function banner(text) {
    const b = $('banner');
    b.textContent = text || '';
    b.hidden = !text;
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        return onWelcome(f);
      case 'history':
        return onHistory(f);
      case 'event':
        return onEvent(f, false);
      case 'ack': {
        const p = state.pending.get(f.ref);
        if (p) {
          state.pending.delete(f.ref);
          p.resolve(f);
        }
        return;
      }
      case 'error':
      case 'rate_limited': {
        if (f.type === 'rate_limited' && f.action === 'hello') state.helloRetryAt = Date.now() + f.retryAfterMs;
        const msg = f.type === 'error' ? f.message : `Slow down: try again in ${Math.ceil(f.retryAfterMs / 1000)} s`;
        const p = f.ref && state.pending.get(f.ref);
        if (p) {
          state.pending.delete(f.ref);
          p.reject(new Error(msg));
        }
        if (f.type === 'error' && f.code === 'unauthorized') return;
        toast(msg, 'warning');
        return;
      }
      default:
        return;
    }
  }

  function onWelcome(f) {
    state.me = f.user;
    state.typingTtlMs = f.typingTtlMs;
    state.reconnectDelay = 250;
    for (const u of f.users) state.users.set(u.id, u);
    state.users.set(f.user.id, f.user);
    for (const v of f.channels) {
      const c = channel(v.id);
      c.name = v.name;
      c.topic = v.topic;
      c.members = new Map(v.members.map((m) => [m.id, m]));
      c.typing.clear();
      for (const t of v.typing) c.typing.set(typingKey(t.userId, t.threadId), { ...t, until: Date.now() + state.typingTtlMs });
    }
    // Direct conversations with history: the "Direct messages" list after a reload. Their events
    // come next, as recent history (or the gap after lastSeen, which has their seqs too).
    for (const d of f.directs || []) channel(d.id).peer = d.peer;
    $('app').hidden = false;
    $('login').hidden = true;
    $('conn').classList.add('up');
    banner('');
    $('me-name').textContent = f.user.name || f.user.id;
    $('me-avatar').replaceWith(Object.assign(avatar(f.user.id, true), { id: 'me-avatar' }));
    $('me-status').textContent = 'online';
    if (!state.current || !state.channels.has(state.current)) state.current = f.channels[0]?.id || null;
    renderAll();
  }

  function onHistory(f) {
    if (f.channelId === ANNOUNCEMENTS) {
      // Recent ones go to the list; a resumed gap was missed while away, so it is shown as news too.
      for (const e of f.events) onEvent(e, f.reason === 'resume' ? 'gap' : true);
      return;
    }
    const c = channel(f.channelId);
    if (f.reason === 'page') {
      for (const e of f.events) applyEvent(e.env, e.seq, true);
      if (f.events[0]) c.oldest = f.events[0].seq;
      c.noOlder = !f.more;
    } else {
      // A resumed gap happened while this page was away: it counts as unread, recent history does not.
      for (const e of f.events) onEvent(e, f.reason === 'resume' ? 'gap' : true);
      if (f.reason === 'recent') c.noOlder = !f.more;
      if (f.truncated) toast(`Some older events of ${c.dm ? 'a direct conversation' : `#${c.name}`} are no longer kept.`, 'warning');
    }
    if (c.id === state.current) renderMessages();
    if (state.thread?.channelId === c.id) renderThread();
  }

  function onEvent(frame, replayed) {
    const env = frame.env;
    const announcement = env.type === 'system.announcement';
    const channelId = announcement ? ANNOUNCEMENTS : env.payload && env.payload.channelId;
    if (frame.seq && channelId) {
      const last = state.lastSeen[channelId];
      if (last && !seqNewer(frame.seq, last)) return;
      state.lastSeen[channelId] = frame.seq;
      if (!announcement) {
        const c = channel(channelId);
        if (!c.oldest) c.oldest = frame.seq;
      }
    }
    if (announcement) return onAnnouncement(env, frame.seq, replayed);
    applyEvent(env, frame.seq, replayed);
  }

  /** Every announcement goes to the sidebar list; live ones and those missed while away also pop up. */
  function onAnnouncement(env, seq, replayed) {
    const p = env.payload || {};
    if (state.announcements.some((a) => a.id === env.id)) return;
    state.announcements.push({ id: env.id, from: env.from, message: p.message, level: p.level || 'info', ts: env.ts, seq, replayed: replayed !== false });
    if (state.announcements.length > ANNOUNCEMENTS_SHOWN) state.announcements.splice(0, state.announcements.length - ANNOUNCEMENTS_SHOWN);
    if (replayed !== true) toast(`📣 ${nameOf(env.from)}: ${p.message}`, p.level);
    renderAnnouncements();
  }

  // ---------- state changes ----------

  function typingKey(userId, threadId) {
    return `${userId}|${threadId || ''}`;
  }

  function applyEvent(env, seq, replayed) {
    const p = env.payload || {};
    const c = p.channelId ? channel(p.channelId) : null;
    switch (env.type) {
      case 'channel.message':
      case 'thread.message': {
        const m = { id: p.messageId, channelId: p.channelId, threadId: p.threadId, author: p.author, text: p.text, mentions: p.mentions || [], ts: env.ts, reactions: new Map(), seq };
        if (p.author && !state.users.has(p.author.id)) state.users.set(p.author.id, p.author);
        if (c.messages.has(m.id) || c.deleted.has(m.id)) return;
        applyPendingEdit(c, m);
        c.messages.set(m.id, m);
        if (m.threadId) {
          if (!c.replies.has(m.threadId)) c.replies.set(m.threadId, []);
          insertBySeq(c, c.replies.get(m.threadId), m.id);
          if (p.alsoInChannel) insertInOrder(c, m.id);
          c.typing.delete(typingKey(m.author.id, m.threadId));
          updateMessage(c, m.threadId);
          if (state.thread && state.thread.channelId === c.id && state.thread.threadId === m.threadId) appendThreadMessage(m);
        } else {
          insertInOrder(c, m.id);
          c.typing.delete(typingKey(m.author.id));
        }
        if (replayed !== true && c.id !== state.current && !m.threadId && m.author.id !== state.me?.id) {
          c.unread++;
          renderNav();
        }
        if (c.id === state.current && (!m.threadId || p.alsoInChannel)) appendMessage(c, m);
        if (c.dm) renderNav();
        renderTyping();
        return;
      }
      case 'channel.message.edit': {
        if (c.deleted.has(p.messageId)) return;
        const edit = { text: p.text, mentions: p.mentions || [], seq };
        const m = c.messages.get(p.messageId);
        if (!m) {
          // Its message is in an older page: kept until it arrives, the newest edit winning.
          const pending = c.edits.get(p.messageId);
          if (!pending || isNewer(seq, pending.seq)) c.edits.set(p.messageId, edit);
          return;
        }
        // An older page brings older edits after the newer ones were applied.
        if (m.editSeq && !isNewer(seq, m.editSeq)) return;
        setText(m, edit);
        refreshMessage(c, m);
        return;
      }
      case 'channel.message.delete': {
        c.deleted.add(p.messageId);
        c.edits.delete(p.messageId);
        const m = c.messages.get(p.messageId);
        if (!m) return;
        m.deleted = true;
        // Nothing of it is kept: not even here, where the DOM no longer shows it.
        m.text = '';
        m.mentions = [];
        refreshMessage(c, m);
        return;
      }
      case 'channel.reaction.add':
      case 'channel.reaction.remove': {
        const m = c.messages.get(p.messageId);
        if (!m) return;
        const users = m.reactions.get(p.emoji) || new Set();
        if (env.type === 'channel.reaction.add') users.add(p.userId);
        else users.delete(p.userId);
        if (users.size) m.reactions.set(p.emoji, users);
        else m.reactions.delete(p.emoji);
        refreshMessage(c, m);
        return;
      }
      case 'channel.typing': {
        if (p.userId === state.me?.id) return;
        const key = typingKey(p.userId, p.threadId);
        if (p.typing) c.typing.set(key, { userId: p.userId, threadId: p.threadId, until: Date.now() + state.typingTtlMs });
        else c.typing.delete(key);
        renderTyping();
        return;
      }
      case 'channel.presence': {
        const m = c?.members.get(p.userId);
        if (m) {
          m.status = p.status;
          if (c.id === state.current) renderMembers();
        }
        return;
      }
      case 'channel.member.join':
        c.members.set(p.member.id, { ...p.member, status: c.members.get(p.member.id)?.status || 'offline' });
        if (!state.users.has(p.member.id)) state.users.set(p.member.id, p.member);
        if (c.id === state.current) renderMembers();
        return;
      case 'channel.member.leave':
        c.members.delete(p.memberId);
        if (c.id === state.current) renderMembers();
        return;
      case 'channel.update':
        if (p.topic !== undefined) c.topic = p.topic;
        if (p.name !== undefined) c.name = p.name;
        if (c.id === state.current) renderHeader();
        return;
      case 'collaboration.event': {
        const id = `collab:${env.id}`;
        if (c.messages.has(id)) return;
        c.messages.set(id, { id, collab: true, actor: p.actor, kind: p.kind, summary: p.summary, subject: p.subject, ts: env.ts, reactions: new Map(), seq });
        insertInOrder(c, id);
        if (c.id === state.current) appendMessage(c, c.messages.get(id));
        return;
      }
      default:
        if (env.type.startsWith('system.') && !replayed) toast(`📣 ${nameOf(env.from)}: ${p.message || env.type}`, p.level);
        return;
    }
  }

  /** Whether seq `a` is after `b` (a missing one counts as newest: live events without history). */
  function isNewer(a, b) {
    return !a || !b || seqNewer(a, b);
  }

  function setText(m, edit) {
    m.text = edit.text;
    m.mentions = edit.mentions;
    m.edited = true;
    m.editSeq = edit.seq;
  }

  /** An edit that arrived before its message (the message came in an older page). */
  function applyPendingEdit(c, m) {
    const edit = c.edits.get(m.id);
    if (!edit) return;
    c.edits.delete(m.id);
    if (isNewer(edit.seq, m.seq)) setText(m, edit);
  }

  /** Keeps `list` (message ids) in history order: an older page's messages go before those already there. */
  function insertBySeq(c, list, id) {
    if (list.includes(id)) return;
    const seq = c.messages.get(id)?.seq;
    let at = list.length;
    while (seq && at > 0 && seqNewer(c.messages.get(list[at - 1])?.seq || '0-0', seq)) at--;
    list.splice(at, 0, id);
  }

  function insertInOrder(c, id) {
    insertBySeq(c, c.order, id);
  }

  // ---------- rendering ----------

  function renderAll() {
    renderNav();
    renderAnnouncements();
    renderHeader();
    renderMessages();
    renderMembers();
    renderTyping();
    renderThread();
  }

  function renderNav() {
    const list = $('channel-list');
    const dms = $('dm-list');
    list.replaceChildren();
    dms.replaceChildren();
    for (const c of state.channels.values()) {
      const li = el('li');
      li.dataset.channel = c.id;
      if (c.id === state.current) li.classList.add('active');
      if (c.unread) li.classList.add('unread');
      if (c.dm) {
        const peer = c.id.split(':').slice(1).find((u) => u !== state.me?.id) || state.me?.id;
        li.append(avatar(peer, true), el('span', '', nameOf(peer)));
        dms.append(li);
      } else {
        li.append(el('span', 'hash', '#'), el('span', '', c.name));
        list.append(li);
      }
      if (c.unread) li.append(el('span', 'badge', String(c.unread)));
      li.onclick = () => openChannel(c.id);
    }
  }

  function renderAnnouncements() {
    const list = $('announcement-list');
    list.replaceChildren();
    $('announcements-title').hidden = !state.announcements.length;
    for (const a of [...state.announcements].reverse()) {
      const li = el('li', `announcement ${a.level}${a.replayed ? ' replayed' : ''}`);
      li.dataset.seq = a.seq || '';
      li.title = `${nameOf(a.from)}, ${new Date(a.ts).toLocaleString()}`;
      li.append(el('span', 'announcement-icon', '📣'), el('span', 'announcement-text', a.message));
      list.append(li);
    }
  }

  function renderHeader() {
    const c = state.channels.get(state.current);
    if (!c) return;
    if (c.dm) {
      const peer = c.id.split(':').slice(1).find((u) => u !== state.me?.id) || state.me?.id;
      $('channel-title').textContent = nameOf(peer);
      $('channel-topic').textContent = 'Direct message';
      $('composer-input').placeholder = `Message ${nameOf(peer)}`;
    } else {
      $('channel-title').textContent = `# ${c.name}`;
      $('channel-topic').textContent = c.topic;
      $('composer-input').placeholder = `Message #${c.name}`;
    }
  }

  function renderText(text, mentions) {
    const frag = document.createDocumentFragment();
    const known = new Set(mentions);
    const re = /(^|[^\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/g;
    let at = 0;
    let m;
    while ((m = re.exec(text))) {
      let id = m[2];
      while (id && !known.has(id) && /[._-]$/.test(id)) id = id.slice(0, -1);
      if (!known.has(id)) continue;
      const start = m.index + m[1].length;
      frag.append(text.slice(at, start));
      const span = el('span', id === state.me?.id ? 'mention self' : 'mention', `@${nameOf(id)}`);
      span.title = id;
      frag.append(span);
      at = start + 1 + id.length;
      re.lastIndex = at;
    }
    frag.append(text.slice(at));
    return frag;
  }

  function messageNode(c, m, inThread) {
    if (m.collab) {
      const d = el('div', 'collab');
      d.dataset.id = m.id;
      d.append('⚙ ', el('b', '', nameOf(m.actor)), ` ${m.kind}`);
      if (m.subject) d.append(` ${m.subject.type} ${m.subject.id}`);
      if (m.summary) d.append(` — ${m.summary}`);
      return d;
    }
    const d = el('div', 'msg');
    d.dataset.id = m.id;
    if (!m.deleted && m.mentions.includes(state.me?.id) && m.author.id !== state.me?.id) d.classList.add('mentions-me');
    const body = el('div', 'body');
    const head = el('div', 'msg-head');
    head.append(el('span', 'author', m.author.name || m.author.id));
    if (m.author.kind === 'agent') head.append(el('span', 'kind', 'agent'));
    head.append(el('span', 'time', timeOf(m.ts)));
    if (m.edited && !m.deleted) head.append(el('span', 'edited', '(edited)'));
    body.append(head);
    const text = el('div', 'text');
    if (m.deleted) {
      text.textContent = 'This message was deleted.';
      text.classList.add('edited');
    } else {
      text.append(renderText(m.text, m.mentions));
    }
    body.append(text);
    if (m.reactions.size && !m.deleted) {
      const r = el('div', 'reactions');
      for (const [emoji, users] of m.reactions) {
        const b = el('button', users.has(state.me?.id) ? 'reaction mine' : 'reaction', `${emoji} ${users.size}`);
        b.type = 'button';
        b.title = [...users].map(nameOf).join(', ');
        b.onclick = () => react(c, m, emoji, users.has(state.me?.id));
        r.append(b);
      }
      body.append(r);
    }
    const replies = !inThread && !m.threadId ? c.replies.get(m.id) : null;
    if (replies && replies.length) {
      const b = el('button', 'replies', `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`);
      b.type = 'button';
      b.onclick = () => openThread(c.id, m.id);
      body.append(b);
    }
    d.append(avatar(m.author.id), body);
    if (!m.deleted && !c.dm) d.append(actionsFor(c, m, inThread));
    return d;
  }

  function actionsFor(c, m, inThread) {
    const bar = el('div', 'actions');
    for (const emoji of QUICK_REACTIONS.slice(0, 3)) {
      const b = el('button', 'react', emoji);
      b.type = 'button';
      b.title = `React ${emoji}`;
      b.onclick = () => react(c, m, emoji, m.reactions.get(emoji)?.has(state.me?.id));
      bar.append(b);
    }
    if (!inThread && !m.threadId) {
      const t = el('button', 'reply', '💬');
      t.type = 'button';
      t.title = 'Reply in thread';
      t.onclick = () => openThread(c.id, m.id);
      bar.append(t);
    }
    if (m.author.id === state.me?.id) {
      const e = el('button', 'edit', '✏️');
      e.type = 'button';
      e.title = 'Edit';
      e.onclick = () => startEdit(c, m);
      const x = el('button', 'delete', '🗑');
      x.type = 'button';
      x.title = 'Delete';
      x.onclick = () => {
        if (confirm('Delete this message?')) send({ type: 'channel.message.delete', payload: { channelId: c.id, messageId: m.id, ...(m.threadId ? { threadId: m.threadId } : {}) } }).catch(() => undefined);
      };
      bar.append(e, x);
    }
    return bar;
  }

  function nearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function renderMessages() {
    const box = $('messages');
    const c = state.channels.get(state.current);
    box.replaceChildren();
    if (!c) return;
    if (c.oldest && !c.noOlder) {
      const older = el('button', 'older', 'Load earlier messages');
      older.type = 'button';
      older.onclick = () => send({ type: 'history', channelId: c.id, before: c.oldest, limit: 50 }).catch(() => undefined);
      box.append(older);
    }
    if (!c.order.length) box.append(el('div', 'day-note', c.dm ? 'No messages yet.' : `This is the start of #${c.name}.`));
    for (const id of c.order) box.append(messageNode(c, c.messages.get(id), false));
    box.scrollTop = box.scrollHeight;
  }

  function appendMessage(c, m) {
    const box = $('messages');
    const stick = nearBottom(box);
    box.querySelector('.day-note')?.remove();
    box.append(messageNode(c, m, false));
    if (stick || m.author?.id === state.me?.id) box.scrollTop = box.scrollHeight;
  }

  function refreshMessage(c, m) {
    for (const box of [$('messages'), $('thread-messages')]) {
      const old = box.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
      if (old) old.replaceWith(messageNode(c, m, box.id === 'thread-messages'));
    }
  }

  function updateMessage(c, id) {
    const m = c.messages.get(id);
    if (m) refreshMessage(c, m);
  }

  function renderMembers() {
    const list = $('member-list');
    const c = state.channels.get(state.current);
    list.replaceChildren();
    if (!c || c.dm) {
      $('member-count').textContent = '';
      return;
    }
    const rank = { online: 0, away: 1, offline: 2 };
    const members = [...c.members.values()].sort((a, b) => rank[a.status] - rank[b.status] || nameOf(a.id).localeCompare(nameOf(b.id)));
    $('member-count').textContent = String(members.length);
    for (const m of members) {
      const li = el('li', m.status);
      li.dataset.user = m.id;
      const dot = el('span', `dot ${m.status}`);
      dot.title = m.status;
      li.append(dot, el('span', '', nameOf(m.id)));
      if (m.kind === 'agent') li.append(el('span', 'kind', 'agent'));
      if (m.id !== state.me?.id) {
        li.ondblclick = () => openDirect(m.id);
        li.title = 'Double-click for a direct message';
      }
      list.append(li);
    }
  }

  function typingText(entries) {
    const names = entries.map((t) => nameOf(t.userId));
    if (!names.length) return '';
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    return 'Several people are typing…';
  }

  function renderTyping() {
    const c = state.channels.get(state.current);
    const now = Date.now();
    const live = c ? [...c.typing.values()].filter((t) => t.until > now) : [];
    $('typing').textContent = typingText(live.filter((t) => !t.threadId));
    const th = state.thread;
    const tc = th && state.channels.get(th.channelId);
    const inThread = tc ? [...tc.typing.values()].filter((t) => t.until > now && t.threadId === th.threadId) : [];
    $('thread-typing').textContent = typingText(inThread);
  }

  function renderThread() {
    const th = state.thread;
    $('thread').hidden = !th;
    if (!th) return;
    const c = state.channels.get(th.channelId);
    const box = $('thread-messages');
    box.replaceChildren();
    $('thread-channel').textContent = `#${c.name}`;
    const parent = c.messages.get(th.threadId);
    if (parent) {
      const p = messageNode(c, parent, true);
      p.classList.add('thread-parent');
      box.append(p);
    }
    for (const id of c.replies.get(th.threadId) || []) box.append(messageNode(c, c.messages.get(id), true));
    box.scrollTop = box.scrollHeight;
    renderTyping();
  }

  function appendThreadMessage(m) {
    const box = $('thread-messages');
    box.append(messageNode(state.channels.get(m.channelId), m, true));
    box.scrollTop = box.scrollHeight;
  }

  // ---------- actions ----------

  function openChannel(id) {
    state.current = id;
    const c = channel(id);
    c.unread = 0;
    if (state.thread && state.thread.channelId !== id) state.thread = null;
    renderAll();
    $('composer-input').focus();
  }

  function openDirect(userId) {
    const [a, b] = [state.me.id, userId].sort();
    const c = channel(`dm:${a}:${b}`);
    c.peer = userId;
    openChannel(c.id);
  }

  function openThread(channelId, threadId) {
    state.thread = { channelId, threadId };
    renderThread();
    $('thread-input').focus();
  }

  function react(c, m, emoji, remove) {
    send({
      type: remove ? 'channel.reaction.remove' : 'channel.reaction.add',
      payload: { channelId: c.id, messageId: m.id, emoji, ...(m.threadId ? { threadId: m.threadId } : {}) },
    }).catch(() => undefined);
  }

  function startEdit(c, m) {
    const node = document.querySelector(`#messages [data-id="${CSS.escape(m.id)}"] .text, #thread-messages [data-id="${CSS.escape(m.id)}"] .text`);
    if (!node) return;
    const box = el('textarea', 'edit-box');
    box.value = m.text;
    node.replaceWith(box);
    box.focus();
    box.onkeydown = (e) => {
      if (e.key === 'Escape') refreshMessage(c, m);
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        const text = box.value.trim();
        if (!text || text === m.text) return refreshMessage(c, m);
        send({ type: 'channel.message.edit', payload: { channelId: c.id, messageId: m.id, text, ...(m.threadId ? { threadId: m.threadId } : {}) } }).catch(() => refreshMessage(c, m));
      }
    };
  }

  /** Typing state of one box: announces typing, repeats while typing, stops when idle or sent. */
  function typingNotifier(target) {
    let sentAt = 0;
    let idle = null;
    const stop = () => {
      clearTimeout(idle);
      if (!sentAt) return;
      sentAt = 0;
      const t = target();
      if (t) send({ type: 'channel.typing', payload: { ...t, typing: false } }).catch(() => undefined);
    };
    return {
      input(value) {
        const t = target();
        if (!t || !value.trim()) return stop();
        clearTimeout(idle);
        idle = setTimeout(stop, TYPING_IDLE_MS);
        if (Date.now() - sentAt < TYPING_RESEND_MS) return;
        sentAt = Date.now();
        send({ type: 'channel.typing', payload: { ...t, typing: true } }).catch(() => undefined);
      },
      sent() {
        clearTimeout(idle);
        sentAt = 0;
      },
      stop,
    };
  }

  function wireComposer(form, input, target, submit) {
    const typing = typingNotifier(target);
    const grow = () => {
      input.style.height = 'auto';
      input.style.height = `${Math.min(160, input.scrollHeight)}px`;
    };
    input.addEventListener('input', () => {
      grow();
      typing.input(input.value);
    });
    input.addEventListener('blur', () => typing.stop());
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      typing.sent();
      // Cleared now, not on the ack: a fast typist may already be writing the next message,
      // which a late clear would wipe. A refused send gives the text back if the box is still empty.
      input.value = '';
      grow();
      submit(text).catch(() => {
        if (input.value) return;
        input.value = text;
        grow();
      });
    });
  }

  function wire() {
    wireComposer(
      $('composer'),
      $('composer-input'),
      () => {
        const c = state.channels.get(state.current);
        return c && !c.dm ? { channelId: c.id } : null;
      },
      (text) => {
        const c = state.channels.get(state.current);
        if (c.dm) return send({ type: 'direct', to: c.peer || c.id.split(':').slice(1).find((u) => u !== state.me.id) || state.me.id, text });
        return send({ type: 'channel.message', payload: { channelId: c.id, text } });
      },
    );
    wireComposer(
      $('thread-composer'),
      $('thread-input'),
      () => (state.thread ? { channelId: state.thread.channelId, threadId: state.thread.threadId } : null),
      (text) =>
        send({
          type: 'thread.message',
          payload: { channelId: state.thread.channelId, threadId: state.thread.threadId, text, alsoInChannel: $('thread-also').checked },
        }),
    );
    $('thread-close').onclick = () => {
      state.thread = null;
      renderThread();
    };
    $('me-status').onclick = () => {
      const next = $('me-status').textContent === 'online' ? 'away' : 'online';
      send({ type: 'presence', status: next }).then(() => ($('me-status').textContent = next), () => undefined);
    };
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('login-token').value.trim();
      if (!token) return;
      start(token);
    });
    setInterval(renderTyping, 1000);
  }

  function showLogin(error) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = error || '';
  }

  function start(token) {
    state.token = token;
    state.closedForGood = false;
    sessionStorage.setItem('agentbus-chat-token', token);
    $('login').hidden = true;
    connect();
  }

  wire();
  // The token comes in the URL fragment (never sent to a server), then leaves the address bar.
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) history.replaceState(null, '', location.pathname);
  const token = fromHash || sessionStorage.getItem('agentbus-chat-token');
  if (token) start(token);
  else showLogin();
})();
