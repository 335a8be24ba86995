// Connecting channels with OAuth in a real browser: the owner sets up the organisation's X app
// under Settings → Network apps, opens "Connect an account", and — when the third-party
// `mastodon_mock` runs (OWLERY_TEST_MASTODON_URL, started by scripts/test) — connects a Mastodon
// account by entering its server: Owlery registers itself there, the browser goes to the server's
// authorization page, the account is picked, and the browser comes back to a new channel. Pages are
// checked with axe-core and photographed, on a desktop and on a phone-sized screen, in English
// and in Bulgarian.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const PHONE = { width: 390, height: 844 };
const MOCK = (process.env.OWLERY_TEST_MASTODON_URL || '').replace(/\/$/, '');

let server;
let browser;
let api;

before(async () => {
  browser = await launchBrowser();
  // The Mastodon mock runs on loopback over http: a server address Owlery refuses unless allowed.
  server = await startServer({ env: { OWLERY_ALLOW_PRIVATE_SERVERS: 'true' } });
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
  await api('POST', '/workspaces', { name: 'Brand' });
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

async function look(page, name) {
  await checkA11y(page);
  await screenshot(page, name);
}

/** A person on the mock, made through its API (Mastodon lets an app token sign people up). */
async function mockAccount() {
  const form = (o) => new URLSearchParams(o);
  const app = await (await fetch(`${MOCK}/api/v1/apps`, {
    method: 'POST',
    body: form({ client_name: 'browser test', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write' }),
  })).json();
  const token = await (await fetch(`${MOCK}/oauth/token`, {
    method: 'POST',
    body: form({ grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'read write' }),
  })).json();
  const username = `brw${Date.now().toString(36)}`;
  const res = await fetch(`${MOCK}/api/v1/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}` },
    body: form({ username, email: `${username}@example.test`, password: `pw-${username}-42`, agreement: 'true', locale: 'en' }),
  });
  assert.ok(res.ok, `mock sign-up: ${res.status}`);
  return username;
}

test('set up a network app, then connect a Mastodon account through its server', async () => {
  const page = await newPage(browser);
  await signIn(page);

  await page.goto(`${server.url}/settings/network-apps`);
  assert.equal(await page.locator('h1').textContent(), 'Network apps');
  const redirect = await page.locator('#napp-x-redirect').inputValue();
  assert.equal(redirect, `${server.url}/oauth/callback/x`);
  await look(page, 'oauth-network-apps');
  // Networks that download media say this (loopback) address is out of their reach.
  assert.match(await page.locator('#napp-instagram .napp-media').textContent(), /Public address needed/);
  assert.match(await page.locator('#napp-tiktok .napp-media').textContent(), /TikTok downloads photos/);
  assert.equal(await page.locator('#napp-x .napp-media').count(), 0);

  await page.click('#napp-x summary');
  const x = page.locator('form[action="/settings/network-apps/x"]');
  await x.locator('input[name="client_id"]').fill('x-client-from-the-portal');
  await x.locator('input[name="client_secret"]').fill('a-secret-that-stays-here');
  await Promise.all([page.waitForURL(/saved=x/), x.locator('button[type="submit"]').click()]);
  assert.match(await page.locator('.flash').textContent(), /The X app is saved/);
  assert.equal(await page.content().then((h) => h.includes('a-secret-that-stays-here')), false);
  await screenshot(page, 'oauth-network-apps-saved');
  // A network that pushes shows its webhook address once its app is set (X: no verify token).
  assert.match(await page.locator('#napp-x-webhook').inputValue(), new RegExp(`^${server.url}/webhooks/x/[0-9a-f]{32}$`));
  assert.equal(await page.locator('#napp-x-verify').count(), 0);
  await page.click('#napp-facebook_page summary');
  const fb = page.locator('form[action="/settings/network-apps/facebook_page"]');
  await fb.locator('input[name="client_id"]').fill('meta-app-id');
  await fb.locator('input[name="client_secret"]').fill('meta-secret-that-stays-here');
  await Promise.all([page.waitForURL(/saved=facebook_page/), fb.locator('button[type="submit"]').click()]);
  assert.match(await page.locator('#napp-facebook_page-webhook').inputValue(), new RegExp(`^${server.url}/webhooks/meta/[0-9a-f]{32}$`));
  assert.match(await page.locator('#napp-facebook_page-verify').inputValue(), /^[A-Za-z0-9_-]{32}$/);
  await page.locator('#napp-facebook_page').scrollIntoViewIfNeeded();
  await look(page, 'webhooks-network-apps');

  await page.goto(`${server.url}/settings/workspaces`);
  await Promise.all([page.waitForURL(/\/settings\/channels\/connect$/), page.click('a[href="/settings/channels/connect"]')]);
  assert.equal(await page.locator('button[formaction="/settings/channels/connect/x"]').count(), 1);
  await look(page, 'oauth-connect');

  const phone = await newPage(browser, { viewport: PHONE });
  await signIn(phone);
  await phone.goto(`${server.url}/settings/channels/connect`);
  await look(phone, 'oauth-connect-phone');
  await phone.goto(`${server.url}/settings/network-apps`);
  await look(phone, 'oauth-network-apps-phone');
  await phone.close();

  if (!MOCK) {
    console.log('note: OWLERY_TEST_MASTODON_URL is not set; the Mastodon part is skipped');
    return;
  }
  const username = await mockAccount();
  const mastodon = page.locator('form[action="/settings/channels/connect/mastodon"]');
  await mastodon.locator('input[name="server"]').fill(MOCK);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(`${MOCK}/oauth/authorize`)), mastodon.locator('button[type="submit"]').click()]);
  await screenshot(page, 'oauth-mastodon-authorize');
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${server.url}/settings/workspaces`)),
    page.click(`button[name="username"][value="${username}"]`),
  ]);
  assert.match(await page.locator('.flash').textContent(), /One channel connected/);
  assert.ok((await page.content()).includes(`${username}@`), 'the new channel is listed');
  await look(page, 'oauth-mastodon-connected');

  // The server's app is listed under Network apps, registered by Owlery.
  await page.goto(`${server.url}/settings/network-apps`);
  assert.ok((await page.locator('#napp-mastodon').textContent()).includes(MOCK));
  await page.close();
});

test('the connect pages in Bulgarian, and a cancelled authorization explained kindly', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.goto(`${server.url}/account`);
  await page.selectOption('#acc-lang', 'bg');
  const profile = page.locator('form').filter({ has: page.locator('#acc-lang') });
  await Promise.all([page.waitForLoadState('load'), profile.locator('button[type="submit"]').first().click()]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'bg');

  await page.goto(`${server.url}/settings/channels/connect`);
  assert.equal(await page.locator('h1').textContent(), 'Свързване на профил');
  await look(page, 'oauth-connect-bg');

  // Start X (the machine has no network, so the browser does not follow the redirect to X), then
  // come back as if the person pressed "Cancel" on X.
  // The redirect to X is read, and the browser stays here.
  let location;
  await page.route('**/settings/channels/connect/x', async (route) => {
    const res = await route.fetch({ maxRedirects: 0 });
    location = res.headers().location;
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>X</title><main><h1>X</h1></main></html>' });
  });
  const form = page.locator('form').filter({ has: page.locator('button[formaction="/settings/channels/connect/x"]') });
  await Promise.all([page.waitForLoadState('load'), form.locator('button[formaction="/settings/channels/connect/x"]').click()]);
  await page.waitForFunction(() => document.title === 'X');
  assert.ok(location?.startsWith('https://x.com/i/oauth2/authorize?'), location);
  const state = new URL(location).searchParams.get('state');
  assert.ok(state);
  await page.goto(`${server.url}/oauth/callback/x?error=access_denied&state=${encodeURIComponent(state)}`);
  assert.match(await page.locator('.callout').textContent(), /Не разрешихте Owlery в X/);
  await look(page, 'oauth-declined-bg');

  const phone = await newPage(browser, { viewport: PHONE });
  await signIn(phone);
  await phone.goto(`${server.url}/oauth/callback/x?code=c&state=${encodeURIComponent(state)}`);
  await look(phone, 'oauth-refused-phone-bg');
  await phone.close();
  await page.close();
});
