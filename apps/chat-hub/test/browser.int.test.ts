import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { testTool } from '@agentbus/test-utils';
import { createChatStore } from '../src/index';
import { TOKENS, cleanup, client, startHub } from './helpers';

/** Debian's chromium (CI installs it); no browser is ever downloaded. */
// Found as .ci/run finds it (CHROMIUM_PATH, else `chromium` on PATH); under CI a missing one fails.
const CHROMIUM = testTool('chromium', { env: 'CHROMIUM_PATH', install: 'apt-get install chromium' });
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test-output');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

let context: BrowserContext | undefined;
let profile: string | undefined;
afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await cleanup();
});

async function browser(): Promise<BrowserContext> {
  if (context) return context;
  profile = mkdtempSync(path.join(os.tmpdir(), 'agentbus-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM!,
    headless: true,
    args: ARGS,
    viewport: { width: 1480, height: 860 },
  });
  return context;
}

/** Waits until `selector` has an element whose text includes `text`. */
async function seeText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: 10_000 });
}

const message = (page: Page, text: string) => page.locator('#messages .msg', { hasText: text });

describe.skipIf(CHROMIUM === undefined)('the web page in Chromium', () => {
  it('two people: typing, a message with a mention, a reaction, a thread reply, edit and delete, presence, a direct message, a reconnect', { timeout: 90_000 }, async () => {
    const { ws, hub, transport } = await startHub({ typingTtlMs: 10_000 });
    const context = await browser();
    const errors: string[] = [];
    const open = async (token: string) => {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('dialog', (d) => void d.accept());
      await page.goto(`${hub.url}/#token=${encodeURIComponent(token)}`);
      await seeText(page, '#channel-title', '# general');
      return page;
    };
    const ada = await open(TOKENS.ada);
    const bob = await open(TOKENS.bob);
    // The token left the address bar.
    expect(new URL(ada.url()).hash).toBe('');

    // An agent in the channel, through the typed client: activity and a mention of bob.
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    await bot.collaborate('general', 'task.claimed', { subject: { type: 'task', id: 't-42' }, summary: 'running the release checks' });
    await seeText(bob, '#messages .collab', 'task.claimed');
    await seeText(bob, '#member-list li.online', 'Bot');
    // A hub-wide announcement: live, it pops up and stays in the sidebar list.
    await bot.announce('Release freeze from 16:00', 'warning');
    await seeText(bob, '#toasts .toast', 'Release freeze from 16:00');
    await seeText(ada, '#announcement-list .announcement.warning', 'Release freeze from 16:00');

    // ada types: bob sees the typing indicator before any message.
    await ada.locator('#composer-input').pressSequentially('Release build is green, @bob can you ', { delay: 15 });
    await seeText(bob, '#typing', 'Ada is typing…');
    expect(await message(bob, 'Release build is green').count()).toBe(0);
    const parent = bot.receive('channel.message', (d) => d.payload.text.includes('check the notes?'), 15_000);
    await ada.locator('#composer-input').pressSequentially('check the notes?', { delay: 5 });
    await ada.locator('#composer-input').press('Enter');

    // ... then the message, with bob's mention highlighted, and the indicator gone.
    await seeText(bob, '#messages .msg .text', 'check the notes?');
    await expect.poll(() => bob.locator('#typing').textContent()).toBe('');
    expect(await message(bob, 'check the notes?').locator('.mention.self').textContent()).toBe('@Bob');
    expect(await message(bob, 'check the notes?').getAttribute('class')).toContain('mentions-me');

    // ada reacts; bob sees the reaction.
    const adaMsg = message(ada, 'check the notes?');
    await adaMsg.hover();
    await adaMsg.locator('.actions button[title="React 👍"]').click();
    await seeText(bob, '#messages .reaction', '👍 1');

    // bob replies in a thread; ada sees the reply count, opens the thread and sees it.
    const bobMsg = message(bob, 'check the notes?');
    await bobMsg.hover();
    await bobMsg.locator('.actions button[title="Reply in thread"]').click();
    await bob.locator('#thread-input').pressSequentially('On it, notes look good', { delay: 5 });
    await bob.locator('#thread-input').press('Enter');
    await seeText(ada, '#messages .replies', '1 reply');
    await message(ada, 'check the notes?').locator('.replies').click();
    await seeText(ada, '#thread-messages .msg .text', 'On it, notes look good');
    await seeText(bob, '#thread-messages .msg .text', 'On it, notes look good');

    // The agent reacts and replies in the thread too: bob sees both live.
    const parentId = (await parent).payload.messageId;
    await bot.react('general', parentId, '🎉');
    await bot.reply('general', parentId, 'Checks passed: 412 tests, 0 failures');
    await seeText(bob, '#messages .reaction', '🎉 1');
    await seeText(bob, '#thread-messages .msg .text', 'Checks passed');

    // bob edits and deletes his own messages; ada sees both.
    await bob.locator('#composer-input').fill('Shipping at 17:00');
    await bob.locator('#composer-input').press('Enter');
    await bob.locator('#composer-input').fill('typo mesage');
    await bob.locator('#composer-input').press('Enter');
    await seeText(ada, '#messages .msg .text', 'typo mesage');
    const typo = message(bob, 'typo mesage');
    await typo.hover();
    await typo.locator('.actions button[title="Delete"]').click();
    await seeText(ada, '#messages .msg .text', 'This message was deleted.');
    const ship = message(bob, 'Shipping at 17:00');
    await ship.hover();
    await ship.locator('.actions button[title="Edit"]').click();
    await bob.locator('#messages .edit-box').fill('Shipping at 17:30');
    await bob.locator('#messages .edit-box').press('Enter');
    await seeText(ada, '#messages .msg .text', 'Shipping at 17:30');
    await seeText(ada, '#messages .msg .edited', '(edited)');
    // Only one's own messages offer edit and delete.
    expect(await message(ada, 'Shipping at 17:30').locator('.actions button[title="Edit"]').count()).toBe(0);

    // Presence dots: both people and the agent online in bob's member list.
    for (const name of ['Ada', 'Bob', 'Bot']) await seeText(bob, '#member-list li.online', name);

    mkdirSync(OUTPUT, { recursive: true });
    await bob.screenshot({ path: path.join(OUTPUT, 'chat-hub-bob.png') });
    await ada.screenshot({ path: path.join(OUTPUT, 'chat-hub-ada.png') });

    // A direct message: ada double-clicks Bob in the member list; bob finds it under Direct messages.
    await ada.locator('#member-list li', { hasText: 'Bob' }).dblclick();
    await seeText(ada, '#channel-title', 'Bob');
    await ada.locator('#composer-input').fill('psst, a direct message');
    await ada.locator('#composer-input').press('Enter');
    await seeText(bob, '#dm-list li', 'Ada');
    await bob.locator('#dm-list li', { hasText: 'Ada' }).click();
    await seeText(bob, '#messages .msg .text', 'psst, a direct message');
    await bob.locator('#channel-list li', { hasText: 'general' }).click();

    // ada leaves: bob sees her go offline.
    await ada.close();
    await seeText(bob, '#member-list li.offline', 'Ada');

    // The hub restarts; what was said meanwhile through another hub appears after the page reconnects.
    const port = Number(new URL(hub.url!).port);
    await hub.close();
    await seeText(bob, '#banner', 'Reconnecting');
    const other = await startHub({ transport });
    const bot2 = client(other.ws, TOKENS.bot);
    await bot2.connect();
    await bot2.post('general', 'Said while bob was reconnecting');
    // A direct message from ada while bob's page is offline: kept, and replayed when it is back.
    const ada2 = client(other.ws, TOKENS.ada);
    await ada2.connect();
    await ada2.direct('bob', 'A DM sent while you were offline');
    // An announcement while bob's page is offline: kept, and replayed when it is back.
    await bot2.announce('Announced while bob was reconnecting');
    await startHub({ transport, port });
    await seeText(bob, '#messages .msg .text', 'Said while bob was reconnecting');
    expect(await bob.locator('#banner').isHidden()).toBe(true);
    expect(await message(bob, 'check the notes?').count()).toBe(1);
    await seeText(bob, '#dm-list li.unread', 'Ada');
    await seeText(bob, '#announcement-list .announcement.replayed', 'Announced while bob was reconnecting');
    await seeText(bob, '#toasts .toast', 'Announced while bob was reconnecting');
    expect(await bob.locator('#announcement-list .announcement', { hasText: 'Release freeze' }).count()).toBe(1);
    await bob.locator('#dm-list li', { hasText: 'Ada' }).click();
    await seeText(bob, '#messages .msg .text', 'A DM sent while you were offline');
    expect(await message(bob, 'psst, a direct message').count()).toBe(1);

    // A reload: the page starts over without resume points; the Direct messages list comes back from the welcome.
    await bob.reload();
    await seeText(bob, '#channel-title', '# general');
    await seeText(bob, '#dm-list li', 'Ada');
    await bob.locator('#dm-list li', { hasText: 'Ada' }).click();
    await seeText(bob, '#messages .msg .text', 'A DM sent while you were offline');
    expect(await message(bob, 'psst, a direct message').count()).toBe(1);
    await seeText(bob, '#announcement-list .announcement', 'Announced while bob was reconnecting');
    await seeText(bob, '#announcement-list .announcement', 'Release freeze from 16:00');
    await bob.screenshot({ path: path.join(OUTPUT, 'chat-hub-bob-direct.png') });
    expect(errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
  });

  it('paging back: a message deleted before it was loaded never shows, one edited shows its newest text, in history order', { timeout: 60_000 }, async () => {
    const { ws, hub, transport } = await startHub({ recentLimit: 4 });
    const ada = client(ws, TOKENS.ada);
    const bot = client(ws, TOKENS.bot);
    await Promise.all([ada.connect(), bot.connect()]);
    // History kept before deletes removed the text (an older hub wrote the message, then its delete as a plain event).
    const store = createChatStore(transport, { presenceTtlMs: 300_000, typingTtlMs: 10_000, recentLimit: 4, historyMaxLen: 10_000 });
    const legacy = (type: string, payload: Record<string, unknown>) =>
      JSON.stringify(createEnvelope({ type, from: 'ada', to: 'channel:general', payload: { channelId: 'general', ...payload } }));
    const author = { id: 'ada', kind: 'human', name: 'Ada' };
    await ada.post('general', 'first: the oldest message');
    await store.append('general', legacy('channel.message', { messageId: 'legacy-1', author, text: 'legacy s3cret', mentions: [] }), { messageId: 'legacy-1', userId: 'ada' });
    const draft = await ada.post('general', 'first draft of the plan');
    const doomed = await ada.post('general', 'today’s s3cret');
    await ada.edit('general', draft.messageId!, 'second draft of the plan');
    for (let i = 0; i < 3; i++) await bot.post('general', `filler ${i}`);
    await ada.edit('general', draft.messageId!, 'final plan');
    await store.append('general', legacy('channel.message.delete', { messageId: 'legacy-1', deletedBy: 'ada' }));
    await ada.deleteMessage('general', doomed.messageId!);
    await bot.post('general', 'the newest message');
    await store.close();

    const page = await (await browser()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hub.url}/#token=${encodeURIComponent(TOKENS.bob)}`);
    await seeText(page, '#messages .msg .text', 'the newest message');
    expect(await message(page, 'first draft').count()).toBe(0);
    await page.locator('#messages button.older').click();
    await seeText(page, '#messages .msg .text', 'first: the oldest message');
    await expect.poll(() => page.locator('#messages button.older').count()).toBe(0);

    const texts = await page.locator('#messages .msg .text').allTextContents();
    expect(texts.join('\n')).not.toMatch(/s3cret|draft/);
    expect(texts).toEqual(['first: the oldest message', 'final plan', 'filler 0', 'filler 1', 'filler 2', 'the newest message']);
    await seeText(page, '#messages .msg .edited', '(edited)');
    expect(errors).toEqual([]);
    await page.close();
  });
});
