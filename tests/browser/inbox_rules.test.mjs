// Inbox rules and abuse protection in a real browser: the owner writes a routing rule on
// Settings → Inbox rules (conditions, actions, a validation error shown next to its row), tests it
// on a pasted message, and sees an abusive comment blurred in the inbox until they choose to read
// it. Pages are checked with axe-core and photographed on a desktop and a phone-sized screen, in
// English and in Bulgarian.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
let api;
let troll;

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
  const ws = await api('POST', '/workspaces', { name: 'Brand' });
  const channel = await api('POST', '/channels', { workspace_id: ws.id, network: 'sandbox', name: 'Brand sandbox', handle: 'brand' });
  await api('POST', '/teams', { name: 'Support' });
  const file = path.join(server.dataDir, 'inbox.jsonl');
  const now = new Date().toISOString();
  const line = (remote, name, text) => JSON.stringify({
    channel_id: channel.id, remote_id: remote, kind: 'comment', conversation_remote_id: 'post-1',
    author: { remote_id: `id-${name}`, handle: name.toLowerCase(), name }, text, created_at: now,
  });
  fs.writeFileSync(file, [
    line('c1', 'Troll', 'You are a stupid idiot, shut up you pathetic moron'),
    line('c2', 'Mila', 'Lovely photo, thank you!'),
  ].join('\n') + '\n');
  const imported = await runOwlery(['inbox', 'import', file, '--data-dir', server.dataDir]);
  assert.match(imported.stdout + imported.stderr, /2/);
  const list = await api('GET', '/inbox/conversations');
  troll = list.items.find((c) => c.contact.name === 'Troll');
  assert.ok(troll, JSON.stringify(list));
});

after(async () => {
  await browser?.close();
  await stopServer(server);
});

async function signIn(page) {
  await page.goto(`${server.url}/signin`);
  await page.fill('input[name="email"]', server.owner.email);
  await page.fill('input[name="password"]', server.owner.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('form button[type="submit"]')]);
}

async function both(page, name) {
  await checkA11y(page);
  await screenshot(page, name);
  await page.setViewportSize(PHONE);
  await checkA11y(page);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

async function submit(page, locator) {
  await Promise.all([page.waitForLoadState('load'), locator.click()]);
}

test('write a routing rule, see a clear error, test it on a message, and read a blurred abusive comment', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  await signIn(page);

  await page.goto(`${server.url}/settings/inbox-rules`);
  assert.equal(await page.locator('h1').textContent(), 'Inbox rules');
  await both(page, 'inbox-rules-empty');

  await page.click('a[href="/settings/inbox-rules/new"]');
  await page.fill('#rule-name', 'Complaints to Support');
  await page.selectOption('#cond-type-0', 'keyword');
  await page.fill('#cond-value-0', 'broken, refund');
  await page.selectOption('#act-type-0', 'assign_team');
  await page.fill('#act-value-0', 'Nobody');
  await submit(page, page.locator('.rule-form button.btn-primary'));
  assert.match(await page.locator('#act-value-0-error').textContent(), /No team has this name/);
  assert.equal(await page.locator('#act-value-0').getAttribute('aria-invalid'), 'true');
  await both(page, 'inbox-rules-error');

  await page.fill('#act-value-0', 'Support');
  await page.selectOption('#act-type-1', 'set_priority');
  await page.fill('#act-value-1', 'high');
  // Test the unsaved rule on a message first.
  await page.click('.rule-test summary');
  await page.fill('#rule-sample', 'My order arrived broken, I want a refund');
  await submit(page, page.locator('button[formaction="/settings/inbox-rules/test"]'));
  assert.match(await page.locator('.rule-preview').textContent(), /Complaints to Support/);
  await both(page, 'inbox-rules-test');
  await submit(page, page.locator('.rule-form button.btn-primary'));
  assert.match(await page.locator('.flash').textContent(), /Rule added/);
  assert.match(await page.locator('.rules-list').textContent(), /Support/);
  await both(page, 'inbox-rules-list');

  // The abusive comment is blurred in the list and in the conversation, until revealed.
  await page.goto(`${server.url}/inbox`);
  assert.equal(await page.locator('.inbox-preview.abuse-blur').count(), 1);
  await both(page, 'inbox-abuse-list');
  await page.goto(`${server.url}/inbox/c/${troll.id}`);
  const reveal = page.locator('details.abuse-reveal');
  assert.equal(await reveal.getAttribute('open'), null);
  assert.equal(await page.locator('.abuse-reveal .msg-text').isVisible(), false);
  await both(page, 'inbox-abuse-blurred');
  await page.locator('.abuse-reveal summary').click();
  assert.equal(await page.locator('.abuse-reveal .msg-text').isVisible(), true);
  assert.match(await page.locator('.abuse-reveal .msg-text').textContent(), /moron/);
  await screenshot(page, 'inbox-abuse-revealed');

  // In Bulgarian.
  await page.goto(`${server.url}/account`);
  await page.selectOption('#acc-lang', 'bg');
  const profile = page.locator('form').filter({ has: page.locator('#acc-lang') });
  await submit(page, profile.locator('button[type="submit"]').first());
  assert.equal(await page.locator('html').getAttribute('lang'), 'bg');
  await page.goto(`${server.url}/settings/inbox-rules`);
  assert.equal(await page.locator('h1').textContent(), 'Правила за входящите');
  await both(page, 'inbox-rules-list-bg');
  await page.goto(`${server.url}/inbox/c/${troll.id}`);
  assert.match(await page.locator('.abuse-reveal summary').textContent(), /Вероятно обидно/);
  await both(page, 'inbox-abuse-blurred-bg');
  await page.goto(`${server.url}/settings/inbox-sla`);
  await both(page, 'inbox-sla-bg');
  await page.goto(`${server.url}/inbox/reports`);
  await both(page, 'inbox-reports-bg');
  await page.close();
});

test('change one\'s presence from the top bar without a reload, on a desktop and a phone', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  await signIn(page);
  await page.goto(`${server.url}/account`);
  await page.selectOption('#acc-lang', 'en');
  const profile = page.locator('form').filter({ has: page.locator('#acc-lang') });
  await submit(page, profile.locator('button[type="submit"]').first());

  await page.goto(`${server.url}/inbox`);
  for (const width of [1024, 1100, 1200, 1240, 1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `the top bar fits at ${width}px`);
  }
  await page.setViewportSize(DESKTOP);
  const menu = page.locator('details.presence-menu');
  assert.match(await menu.getAttribute('class'), /presence-available/);
  assert.match(await menu.locator('summary').textContent(), /Available/);
  // With JavaScript the choice is posted by htmx and the menu swapped in place: no reload.
  await page.evaluate(() => { window.__stillHere = true; });
  await menu.locator('summary').click();
  await checkA11y(page);
  await screenshot(page, 'presence-menu-open');
  await page.locator('details.presence-menu button[value="away"]').click();
  await page.locator('details.presence-menu.presence-away').waitFor();
  assert.equal(await page.evaluate(() => window.__stillHere === true), true, 'the page was not reloaded');
  assert.equal(new URL(page.url()).pathname, '/inbox');
  assert.match(await page.locator('details.presence-menu summary').textContent(), /Away/);
  // The focus comes back to the menu's button once htmx has settled.
  await page.waitForFunction(() => document.activeElement?.matches('details.presence-menu > summary'));
  await page.locator('details.presence-menu summary').click();
  assert.equal(await page.locator('details.presence-menu button[value="away"]').getAttribute('aria-current'), 'true');
  await screenshot(page, 'presence-away');
  // It stays after a reload (stored), and the phone-sized bar keeps the dot with its menu.
  await page.reload();
  assert.match(await page.locator('details.presence-menu').getAttribute('class'), /presence-away/);
  await page.setViewportSize(PHONE);
  const summary = page.locator('details.presence-menu summary');
  assert.equal(await summary.isVisible(), true);
  await summary.click();
  const offShift = page.locator('details.presence-menu button[value="off_shift"]');
  assert.equal(await offShift.isVisible(), true);
  const box = await page.locator('.presence-panel').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the menu fits the screen: ${JSON.stringify(box)}`);
  await checkA11y(page);
  await screenshot(page, 'presence-menu-phone');
  await offShift.click();
  await page.locator('details.presence-menu.presence-off_shift').waitFor();
  await page.setViewportSize(DESKTOP);

  // In Bulgarian.
  await page.goto(`${server.url}/account`);
  await page.selectOption('#acc-lang', 'bg');
  await submit(page, page.locator('form').filter({ has: page.locator('#acc-lang') }).locator('button[type="submit"]').first());
  await page.goto(`${server.url}/inbox`);
  assert.match(await page.locator('details.presence-menu summary').textContent(), /Извън смяна/);
  for (const width of [1024, 1200, 1240, 1280, 1440, 1600]) {
    await page.setViewportSize({ width, height: 900 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `the Bulgarian top bar fits at ${width}px`);
  }
  await page.setViewportSize(DESKTOP);
  await page.locator('details.presence-menu summary').click();
  await checkA11y(page);
  await screenshot(page, 'presence-menu-bg');
  await page.locator('details.presence-menu button[value="available"]').click();
  await page.locator('details.presence-menu.presence-available').waitFor();
  assert.match(await page.locator('details.presence-menu summary').textContent(), /На линия/);
  await page.close();
});
