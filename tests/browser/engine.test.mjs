// The publishing engine's controls in a real browser: the owner pauses all publishing with a
// reason (confirming it), sees the banner, sees a post that fell due meanwhile held on Needs
// attention, looks at it all in Bulgarian too, resumes publishing (nothing goes out by itself) and
// sends the post now; the real worker publishes it to the sandbox. Pages are checked with axe-core
// and photographed on a desktop and a phone, in English and Bulgarian.
//
// Setup goes through the API (a workspace with a sandbox channel, the post), so that the clicks
// are the flow itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const REASON = 'Storm damage at the roastery: wait for the statement';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let server;
let browser;
let api;
let channel;
let workspace;

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
  workspace = (await api('POST', '/workspaces', { name: 'Roastery' })).id;
  channel = (await api('POST', '/channels', { workspace_id: workspace, network: 'sandbox', name: 'Roastery news', handle: 'roastery_news' })).id;
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

/** Submit a form by clicking its button, and wait for the page it leads to. */
async function submit(page, form) {
  await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), form.locator('button[type="submit"]').first().click()]);
  await page.waitForLoadState('load');
}

/** Wait until the variant's status (through the API) is `want`. */
async function statusBecomes(postId, want, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const post = await api('GET', `/posts/${postId}`);
    last = post.variants[0].status;
    if (last === want) return post.variants[0];
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`status ${want} expected, still ${last}`);
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
  const summary = page.locator('details.user-menu > summary');
  await summary.click();
  const form = page.locator('details.user-menu form[action="/account/language"]');
  await form.locator('select[name="lang"]').selectOption(lang);
  await submit(page, form);
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
}

test('pause everything with a reason, see a due post held, resume, send it now', async () => {
  const page = await newPage(browser, { viewport: DESKTOP });
  page.on('dialog', (d) => d.accept());
  await signIn(page);

  // The big switch: a reason and a confirmation.
  await page.goto(`${server.url}/settings/publishing`);
  await page.locator('text=Publishing is running everywhere.').waitFor();
  await both(page, 'engine-settings');
  const pauseAll = page.locator('form[action="/settings/publishing/pauses"]').filter({ has: page.locator('input[name="confirm"]') });
  await pauseAll.locator('textarea[name="reason"]').fill(REASON);
  await pauseAll.locator('input[name="confirm"]').check();
  await submit(page, pauseAll);
  assert.match(await page.locator('.flash').innerText(), /Publishing is paused/);
  assert.match(await page.locator('main').innerText(), /The whole organisation/);

  // The banner, on every page of someone who publishes.
  await page.goto(`${server.url}/calendar`);
  const banner = page.locator('aside.pause-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), new RegExp(`paused for the whole organisation — ${REASON}`));
  assert.match(await banner.innerText(), new RegExp(`by ${server.owner.name}, since`));
  await both(page, 'engine-banner');

  // A post due now waits for a person.
  const post = await api('POST', '/posts', { workspace_id: workspace, title: 'Autumn blend is back', text: 'The autumn blend is back in the roastery shop from today.', channel_ids: [channel] });
  const variant = post.variants[0].id;
  const held = await statusBecomes(post.id, 'paused');
  assert.equal(held.held_by, 'pause');
  await page.goto(`${server.url}/publish/attention`);
  const item = page.locator(`#attn-${variant}`);
  await item.waitFor();
  assert.match(await item.innerText(), /Autumn blend is back/);
  assert.match(await item.innerText(), /Storm damage/);
  await page.locator('nav.subnav .tab-count:not([hidden])').waitFor();
  assert.match(await page.locator('nav.subnav').innerText(), /Needs attention\s*1/);
  await both(page, 'engine-attention-held');

  // The post itself says what happened, with the same actions.
  await page.goto(`${server.url}/publish/posts/${post.id}`);
  const onPost = page.locator('section.attn-post');
  await onPost.waitFor();
  assert.match(await onPost.innerText(), /Publishing was paused at its time: Storm damage/);
  await both(page, 'engine-post-held');

  // Sending it is refused while the pause lasts.
  await page.goto(`${server.url}/publish/attention`);
  await submit(page, page.locator(`form[action="/publish/attention/${variant}/resume"]`));
  assert.match(await page.locator('.flash').innerText(), /still paused/);

  // The same in Bulgarian.
  await switchLanguage(page, 'bg');
  await page.goto(`${server.url}/publish/attention`);
  await page.locator(`#attn-${variant}`).waitFor();
  assert.match(await page.locator('h1').innerText(), /Изисква внимание/);
  await page.locator('aside.pause-banner').waitFor();
  assert.match(await page.locator('aside.pause-banner').innerText(), /Публикуването е спряно за цялата организация/);
  await both(page, 'engine-attention-held-bg');
  await page.goto(`${server.url}/settings/publishing`);
  assert.match(await page.locator('h1').innerText(), /Публикуване/);
  await both(page, 'engine-settings-paused-bg');

  // Resume publishing: nothing goes out by itself.
  await submit(page, page.locator('form[action$="/lift"]').first());
  assert.match(await page.locator('.flash').innerText(), /възобновено/);
  await switchLanguage(page, 'en');
  await page.goto(`${server.url}/settings/publishing`);
  await page.locator('#lifted-heading').waitFor();
  await both(page, 'engine-settings-resumed');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await api('GET', `/posts/${post.id}`)).variants[0].status, 'paused');

  // Send it now: the worker publishes it to the sandbox.
  await page.goto(`${server.url}/publish/attention`);
  assert.equal(await page.locator('aside.pause-banner').count(), 0);
  await submit(page, page.locator(`form[action="/publish/attention/${variant}/resume"]`));
  assert.match(await page.locator('.flash').innerText(), /Sent again/);
  const published = await statusBecomes(post.id, 'published');
  assert.ok(published.remote_url, 'the sandbox gave it an address');
  await page.goto(`${server.url}/publish/attention`);
  await page.locator('.empty').waitFor();
  await both(page, 'engine-attention-empty');
  await page.close();
});
