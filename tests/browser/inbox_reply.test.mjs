// Answering from the inbox in a real browser: the owner manages a saved reply under Settings,
// opens a conversation, picks the saved reply (inserted with the contact's first name), watches
// the live count, and sends and closes; the worker sends the answer (a practice channel) and the
// thread shows it as sent without a reload (live). Pages are checked with axe-core and
// photographed on a desktop and a phone, in English and Bulgarian.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let server;
let browser;
let api;
let conversation;

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
  const workspace = (await api('POST', '/workspaces', { name: 'Roastery' })).id;
  const channel = (await api('POST', '/channels', { workspace_id: workspace, network: 'sandbox', name: 'Roastery news', handle: 'roastery_news' })).id;
  const file = join(server.dataDir, 'inbox.jsonl');
  const line = {
    channel_id: channel, remote_id: 'c-1', kind: 'comment',
    author: { remote_id: 'u-ivan', handle: 'ivan.petrov', name: 'Ivan Petrov' },
    text: 'My order #4411 still has not arrived. Where is it?',
    created_at: new Date(Date.now() - 20 * 60_000).toISOString(), conversation_remote_id: 'post-1',
  };
  await writeFile(file, `${JSON.stringify(line)}\n`);
  await runOwlery(['inbox', 'import', file, '--data-dir', server.dataDir]);
  conversation = (await api('GET', '/inbox/conversations')).items[0].id;
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

async function submitWith(page, button) {
  await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), button.click()]);
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

test('a saved reply is managed, picked in the reply box, and sent', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  page.on('dialog', (d) => d.accept());
  await signIn(page);

  // Settings → Saved replies: an unknown variable is refused, then a good one is saved.
  await page.goto(`${server.url}/settings/saved-replies`);
  const form = page.locator('form[action="/settings/saved-replies"]');
  await form.locator('input[name="name"]').fill('Sorry, on it');
  await form.locator('textarea[name="body"]').fill('Hi {contact.nickname}');
  await submitWith(page, form.locator('button[type="submit"]'));
  assert.match(await page.locator('main').innerText(), /\{contact\.nickname\} is not a variable/);
  const again = page.locator('form[action="/settings/saved-replies"]');
  await again.locator('textarea[name="body"]').fill('Hi {contact.first_name}, sorry about this. Could you send us your order number? — {agent.name}');
  await again.locator('input[name="shortcut"]').fill('sorry');
  await submitWith(page, again.locator('button[type="submit"]'));
  assert.match(await page.locator('main').innerText(), /Sorry, on it/);
  await both(page, 'inbox-saved-replies');

  // The conversation: pick the saved reply; it is inserted with the contact's first name.
  await page.goto(`${server.url}/inbox/c/${conversation}`);
  const box = page.locator('#reply');
  await box.waitFor();
  assert.equal(await box.locator('button[data-no-js]').isHidden(), true, 'the no-JavaScript insert button is hidden');
  await box.locator('select[name="saved_reply"]').selectOption({ label: 'Sorry, on it (/sorry)' });
  const text = box.locator('textarea[name="text"]');
  assert.match(await text.inputValue(), new RegExp(`^Hi Ivan, sorry about this\\. Could you send us your order number\\? — ${server.owner.name}$`));
  await text.press('End');
  await text.type(' Thanks!');
  // The live count, counted by the server.
  await page.waitForFunction(() => /^\d+ characters$/.test(document.querySelector('#reply-count')?.textContent?.trim() ?? ''));
  await both(page, 'inbox-reply-box');

  // Send and close: queued, then sent by the worker — shown live, without a reload (the page
  // hears the answer's states on /inbox/events and re-reads its thread).
  await submitWith(page, box.locator('button[value="send_close"]'));
  assert.match(await page.locator('.flash').innerText(), /queued/);
  await page.evaluate(() => { window.__samePage = true; });
  await page.waitForFunction(
    () => [...document.querySelectorAll('.msg-out .delivery-badge')].at(-1)?.textContent.trim() === 'Sent',
    null,
    { timeout: 20_000 },
  );
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload');
  const detail = await api('GET', `/inbox/conversations/${conversation}`);
  assert.equal(detail.conversation.status, 'closed');
  assert.equal(detail.conversation.unanswered_count, 0);
  assert.ok(detail.conversation.first_responded_at);
  assert.match(detail.messages.at(-1).text, /Thanks!$/);
  await both(page, 'inbox-reply-sent');

  // Bulgarian.
  const summary = page.locator('details.user-menu > summary');
  await summary.click();
  const lang = page.locator('details.user-menu form[action="/account/language"]');
  await lang.locator('select[name="lang"]').selectOption('bg');
  await submitWith(page, lang.locator('button[type="submit"]'));
  await page.goto(`${server.url}/inbox/c/${conversation}`);
  assert.match(await page.locator('#reply').innerText(), /Изпрати и затвори/);
  assert.match(await page.locator('.msg-out').last().innerText(), /Изпратен/);
  await both(page, 'inbox-reply-bg');
  await page.close();
});
