// The inbox in a real browser: triage with the keyboard (j/k, x, a, c, and the ? overlay),
// filters and search, a bulk close, another person's presence in a conversation (two browser
// contexts signed in as two people), a change arriving live without a reload, and an internal
// note with an @mention that reaches the mentioned person. Pages are checked with axe-core and
// photographed on a desktop and a phone, in English and Bulgarian.
//
// Setup: a workspace and a sandbox channel through the API, messages through
// `owlery inbox import` (the same path as a migration), a second person (a community agent)
// through `owlery admin create-user`.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const AGENT = { email: 'ana@example.test', name: 'Ana Agent', password: 'a long agent password 42' };

let server;
let browser;
let api;
let channel;

const MESSAGES = [
  ['m1', 'dm', 'ivan', 'Ivan Petrov', 'Ужасно обслужване, още чакам поръчката си! Къде е?'],
  ['m2', 'dm', 'ann', 'Ann Baker', 'How much does the annual plan cost for a team of five?'],
  ['m3', 'comment', 'lukas', 'Lukas Weber', 'Tolles Produkt, danke für den schnellen Versand!'],
  ['m4', 'mention', 'sofia', 'Sofia Ruiz', 'Mi pedido llegó roto y nadie responde. Muy mal servicio.'],
  ['m5', 'dm', 'mira', 'Mira Ivanova', 'Is the refund for order 4411 on its way?'],
  ['m6', 'comment', 'tom', 'Tom Hill', 'Love the new colours, great job!'],
];

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
  const out = await runOwlery(['admin', 'token', 'create', '--data-dir', server.dataDir, '--user', server.owner.email, '--name', 'browser test']);
  const token = out.stdout.match(/owl_[A-Za-z0-9_-]+/)?.[0];
  assert.ok(token, `a token in: ${out.stdout}`);
  api = async (method, p, body) => {
    const res = await fetch(`${server.url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    assert.ok(res.ok, `${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const workspace = (await api('POST', '/workspaces', { name: 'Shop' })).id;
  channel = (await api('POST', '/channels', { workspace_id: workspace, network: 'sandbox', name: 'Shop support', handle: 'shop_support' })).id;
  await runOwlery(
    ['admin', 'create-user', '--data-dir', server.dataDir, '--email', AGENT.email, '--name', AGENT.name, '--role', 'community_agent', '--password-stdin'],
    { input: `${AGENT.password}\n` },
  );
  const now = Date.now();
  const lines = MESSAGES.map(([id, kind, handle, name, text], i) => JSON.stringify({
    channel_id: channel,
    remote_id: id,
    kind,
    author: { remote_id: `u-${handle}`, handle, name, followers: 100 + i },
    text,
    created_at: new Date(now - (MESSAGES.length - i) * 60_000).toISOString(),
    conversation_remote_id: kind === 'comment' ? 'post-1' : undefined,
  })).join('\n');
  const file = path.join(server.dataDir, 'inbox.jsonl');
  await writeFile(file, `${lines}\n`);
  await runOwlery(['inbox', 'import', file, '--quiet', '--data-dir', server.dataDir]);
});

after(async () => {
  await browser?.close();
  await stopServer(server);
});

async function signIn(page, email, password) {
  await page.goto(`${server.url}/signin`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('form button[type="submit"]')]);
}

async function submit(page, form) {
  await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), form.locator('button[type="submit"]').first().click()]);
  await page.waitForLoadState('load');
}

async function both(page, name) {
  await checkA11y(page);
  await screenshot(page, name);
  await page.setViewportSize(PHONE);
  await checkA11y(page);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

async function switchLanguage(page, lang) {
  await page.locator('details.user-menu > summary').click();
  const form = page.locator('details.user-menu form[action="/account/language"]');
  await form.locator('select[name="lang"]').selectOption(lang);
  await submit(page, form);
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
}

/** The conversation id of the row of `name` on the list. */
async function rowId(page, name) {
  return page.locator('.inbox-main .inbox-row', { hasText: name }).first().getAttribute('data-id');
}

/** Wait for the live stream to be connected (so nothing sent after this is missed). */
async function live(page) {
  await page.waitForFunction(() => document.body.getAttribute('data-live') === 'open');
}

test('triage with the keyboard: j/k, x, a, c and the ? overlay', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  await signIn(page, server.owner.email, server.owner.password);
  await page.goto(`${server.url}/inbox`);
  const rows = page.locator('.inbox-main .inbox-row');
  assert.equal(await rows.count(), MESSAGES.length);
  await both(page, 'inbox-list');

  // The overlay: an accessible dialog, closed by Escape.
  await page.keyboard.press('?');
  const dialog = page.locator('dialog#inbox-shortcuts');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /Assign to me/);
  await checkA11y(page);
  await screenshot(page, 'inbox-shortcuts');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });

  // Not while typing: ? in the search box is just a character.
  await page.locator('#inbox-q').fill('');
  await page.locator('#inbox-q').type('?');
  assert.equal(await dialog.isVisible(), false);
  await page.locator('#inbox-q').fill('');
  await page.locator('#inbox-q').press('Escape');

  // j, j, k: the second row, then the first.
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await rows.nth(1).getAttribute('class').then((c) => c.includes('is-current')), true);
  await page.keyboard.press('k');
  assert.equal(await rows.nth(0).getAttribute('class').then((c) => c.includes('is-current')), true);
  const first = await rows.nth(0).getAttribute('data-id');
  const firstName = await rows.nth(0).locator('.inbox-contact').innerText();

  // x selects it; a assigns it to me; c closes it (the list updates itself).
  await page.keyboard.press('x');
  assert.equal(await page.locator('#inbox-selected-count').innerText(), '1');
  await page.keyboard.press('a');
  const row = page.locator(`.inbox-row[data-id="${first}"]`);
  await row.locator('.inbox-assignee', { hasText: server.owner.name }).waitFor();
  await page.keyboard.press('c');
  await row.locator('.status-closed').waitFor();
  const c = await api('GET', `/inbox/conversations/${first}`);
  assert.equal(c.conversation.status, 'closed');
  assert.equal(c.conversation.assignee_name, server.owner.name);

  // Enter opens it.
  await page.locator(`.inbox-row[data-id="${first}"] .inbox-row-link`).focus();
  await Promise.all([page.waitForURL(`**/inbox/c/${first}`), page.keyboard.press('Enter')]);
  assert.match(await page.locator('h1').innerText(), new RegExp(firstName));
  await api('POST', '/inbox/conversations/bulk', { ids: [first], action: 'reopen' });
  await page.context().close();
});

test('filter, search, and close several at once', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  await signIn(page, server.owner.email, server.owner.password);
  await page.goto(`${server.url}/inbox`);
  const filters = page.locator('form.inbox-filters');
  await filters.locator('select[name="sentiment"]').selectOption('negative');
  await submit(page, filters);
  const names = await page.locator('.inbox-main .inbox-contact').allInnerTexts();
  assert.ok(names.length >= 1 && names.length < MESSAGES.length, `negative only: ${names}`);
  assert.ok(!names.includes('Tom Hill'), `${names}`);

  // Save the filter as a view; it shows in the sidebar with its count.
  await page.locator('details.inbox-view-save > summary').click();
  const save = page.locator('details.inbox-view-save form');
  await save.locator('input[name="name"]').fill('Unhappy');
  await save.locator('select[name="visibility"]').selectOption('organisation');
  await submit(page, save);
  const view = page.locator('.inbox-view', { hasText: 'Unhappy' });
  assert.equal(await view.locator('.inbox-view-count').innerText(), String(names.length));
  assert.equal(await view.locator('a').getAttribute('aria-current'), 'true');

  // Search.
  await page.locator('#inbox-q').fill('refund');
  await submit(page, page.locator('form.inbox-search'));
  assert.match(await page.locator('.inbox-hits').innerText(), /refund for order 4411/);
  await both(page, 'inbox-search');

  // Bulk: tick the first box, Shift-click the third: three selected; close them.
  await page.goto(`${server.url}/inbox`);
  const boxes = page.locator('.inbox-main .inbox-select');
  await boxes.nth(0).click();
  await boxes.nth(2).click({ modifiers: ['Shift'] });
  assert.equal(await page.locator('#inbox-selected-count').innerText(), '3');
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await boxes.nth(i).getAttribute('value'));
  await screenshot(page, 'inbox-bulk-selected');
  const bulk = page.locator('form#inbox-bulk');
  await bulk.locator('select[name="action"]').selectOption('close');
  await submit(page, bulk);
  assert.match(page.url(), /bulk_changed=3/);
  for (const id of ids) {
    assert.equal((await api('GET', `/inbox/conversations/${id}`)).conversation.status, 'closed');
  }
  await api('POST', '/inbox/conversations/bulk', { ids, action: 'reopen' });
  await page.context().close();
});

test('presence, a live change, and a note with an @mention', async () => {
  const owner = await newPage(browser, { viewport: DESKTOP });
  const agent = await newPage(browser, { viewport: DESKTOP });
  await signIn(owner, server.owner.email, server.owner.password);
  await signIn(agent, AGENT.email, AGENT.password);

  // A change made by someone else arrives in the open list without a reload.
  await agent.goto(`${server.url}/inbox`);
  await live(agent);
  await agent.evaluate(() => { window.__notReloaded = true; });
  const mira = await rowId(agent, 'Mira Ivanova');
  await api('PATCH', `/inbox/conversations/${mira}`, { tags: ['refund'], priority: 'high' });
  await agent.locator(`.inbox-row[data-id="${mira}"] .chip-tag`, { hasText: '#refund' }).waitFor();
  assert.equal(await agent.evaluate(() => window.__notReloaded), true, 'the list updated in place');

  // Both open Mira's conversation: each sees the other; the owner types, the agent sees it.
  await agent.goto(`${server.url}/inbox/c/${mira}`);
  await live(agent);
  await owner.goto(`${server.url}/inbox/c/${mira}`);
  await live(owner);
  await agent.locator('#presence .presence-item', { hasText: server.owner.name }).waitFor();
  await owner.locator('#presence .presence-item', { hasText: AGENT.name }).waitFor();
  // The assignee field says each person's availability in words, not colour alone.
  assert.ok((await owner.locator('#c-assignee option').allTextContents()).includes(`${AGENT.name} — available`));
  await owner.locator('#note-text').click();
  await owner.keyboard.type('@an');
  const menu = owner.locator('#mention-menu');
  await menu.locator('li', { hasText: AGENT.name }).waitFor();
  await agent.locator('#presence .presence-typing', { hasText: server.owner.name }).waitFor();
  await screenshot(agent, 'inbox-presence');
  await owner.keyboard.press('Enter');
  await owner.keyboard.type('please check the courier for this one.');
  assert.equal(await owner.locator('#note-text').inputValue(), '@ana please check the courier for this one.');
  await submit(owner, owner.locator('form.inbox-note-form'));
  await owner.locator('.msg-note mark.mention', { hasText: '@ana' }).waitFor();

  // The agent's page shows the note without a reload, and they are notified.
  await agent.locator('.msg-note', { hasText: 'please check the courier' }).waitFor();
  await both(agent, 'inbox-conversation');
  await agent.goto(`${server.url}/notifications`);
  assert.match(await agent.locator('main').innerText(), new RegExp(`${server.owner.name} mentioned you in a note on the conversation with Mira Ivanova`));

  // The conversation keyboard: ? works here too; u goes back to the list.
  await agent.goto(`${server.url}/inbox/c/${mira}`);
  await agent.keyboard.press('?');
  await agent.locator('dialog#inbox-shortcuts').waitFor({ state: 'visible' });
  await agent.keyboard.press('Escape');
  await Promise.all([agent.waitForURL(`${server.url}/inbox`), agent.keyboard.press('u')]);

  // In Bulgarian.
  await switchLanguage(agent, 'bg');
  await agent.goto(`${server.url}/inbox`);
  assert.match(await agent.locator('main').innerText(), /Запазени изгледи/);
  await both(agent, 'inbox-list-bg');
  await agent.goto(`${server.url}/inbox/c/${mira}`);
  assert.match(await agent.locator('main').innerText(), /Вътрешни бележки/);
  await both(agent, 'inbox-conversation-bg');
  await agent.keyboard.press('?');
  await agent.locator('dialog#inbox-shortcuts').waitFor({ state: 'visible' });
  await screenshot(agent, 'inbox-shortcuts-bg');
  await agent.keyboard.press('Escape');
  await switchLanguage(agent, 'en');
  await owner.context().close();
  await agent.context().close();
});
