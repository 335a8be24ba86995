// The foundation's main flows in a real browser: sign-in, two-factor enrolment and sign-in with a
// code, creating a user, granting a role, switching to Bulgarian, the audit page, and a password
// reset through a real SMTP server. Every page is checked with axe-core and photographed, on a
// desktop and on a phone-sized screen.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { mailMark, waitForMail } from './lib/mail.mjs';
import { startServer, stopServer } from './lib/server.mjs';

let server;
let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});

after(async () => {
  await browser?.close();
  await stopServer(server);
});

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret. */
function totp(base32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function submit(page, form) {
  await Promise.all([page.waitForEvent('framenavigated'), form.locator('button[type="submit"]').first().click()]);
  await page.waitForLoadState('load');
}

/** Open the closed <details> (a menu, a "New user" panel) that holds `selector`, as a person would. */
async function reveal(page, selector) {
  const target = page.locator(selector).first();
  if (await target.isVisible()) return;
  const holder = page.locator('details:not([open])').filter({ has: page.locator(selector) });
  const n = await holder.count();
  for (let i = 0; i < n; i++) {
    const d = holder.nth(i);
    if (await d.locator('summary').first().isVisible()) await d.locator('summary').first().click();
  }
  await target.waitFor({ state: 'visible' });
}

async function signOut(page) {
  await reveal(page, 'form[action="/signout"] button[type="submit"]');
  await submit(page, page.locator('form[action="/signout"]').first());
}

function formWith(page, fieldName) {
  return page.locator('form').filter({ has: page.locator(`[name="${fieldName}"]`) }).first();
}

async function signIn(page, email, password) {
  await page.goto(`${server.url}/signin`);
  const form = formWith(page, 'password');
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await submit(page, form);
}

async function look(page, name) {
  await checkA11y(page);
  await screenshot(page, name);
}

test('sign in, enrol two-factor, sign in again with a code', async () => {
  const page = await newPage(browser);
  await signIn(page, server.owner.email, 'not the password');
  assert.match(await page.locator('main').innerText(), /not right|incorrect/i);
  await look(page, 'signin-error');

  await signIn(page, server.owner.email, server.owner.password);
  assert.equal(new URL(page.url()).pathname, '/');
  await look(page, 'home');
  await page.setViewportSize({ width: 360, height: 780 });
  await look(page, 'home-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.goto(`${server.url}/account/2fa`);
  assert.ok(await page.locator('svg').count() > 0, 'a QR code');
  await look(page, 'twofa-enrol');
  const secret = (await page.locator('.secret').innerText()).replace(/\s/g, '');
  const form = formWith(page, 'code');
  await form.locator('input[name="code"]').fill(totp(secret));
  await submit(page, form);
  const codes = await page.locator('main').innerText();
  assert.match(codes, /[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}/, 'recovery codes are shown');
  await look(page, 'twofa-recovery-codes');

  await signOut(page);
  await signIn(page, server.owner.email, server.owner.password);
  assert.equal(new URL(page.url()).pathname, '/signin/2fa');
  await look(page, 'signin-2fa');
  // A fresh time step, so the code used for enrolment is not replayed.
  const next = Math.ceil(Date.now() / 30_000) * 30_000 + 500;
  await page.waitForTimeout(Math.max(0, next - Date.now()));
  const code = formWith(page, 'code');
  await code.locator('input[name="code"]').fill(totp(secret));
  await submit(page, code);
  assert.equal(new URL(page.url()).pathname, '/', await page.locator('main').innerText());
  await page.context().close();
});

test('create a user, grant a role, read the audit log, switch to Bulgarian', async () => {
  const page = await newPage(browser);
  // The owner has 2FA from the previous test only if it ran first; sign in as a fresh admin.
  await page.goto(`${server.url}/signin`);
  const admin = { email: `admin-${Date.now()}@example.test`, password: 'another long passphrase' };
  const { runOwlery } = await import('./lib/server.mjs');
  const made = await runOwlery(['admin', 'create-user', '--data-dir', server.dataDir, '--email', admin.email, '--name', 'Ada Admin', '--role', 'admin', '--password-stdin'], { input: `${admin.password}\n` });
  assert.equal(made.code, 0, made.stderr);
  await signIn(page, admin.email, admin.password);
  assert.equal(new URL(page.url()).pathname, '/');

  await page.goto(`${server.url}/settings/users`);
  await look(page, 'users');
  await reveal(page, 'input[name="email"]');
  const create = formWith(page, 'email');
  const email = `nia-${Date.now()}@example.test`;
  await create.locator('input[name="email"]').fill(email);
  await create.locator('input[name="name"]').fill('Nia Newcomer');
  await create.locator('select[name="role"]').selectOption('contributor');
  await submit(page, create);
  const body = await page.content();
  assert.ok(body.includes('/setup/'), 'a one-time setup link is shown');
  await look(page, 'user-created');

  await page.getByRole('link', { name: 'Nia Newcomer' }).first().click();
  await page.waitForLoadState('load');
  await look(page, 'user-detail');
  const grant = formWith(page, 'role');
  await grant.locator('select[name="role"]').selectOption('approver');
  await submit(page, grant);
  assert.match(await page.locator('main').innerText(), /Approver/);

  await page.goto(`${server.url}/settings/audit`);
  const audit = await page.locator('main').innerText();
  assert.match(audit, /grant\.create/);
  assert.match(audit, /user\.create/);
  await look(page, 'audit');

  await reveal(page, 'form[action="/account/language"] select[name="lang"]');
  const lang = page.locator('form[action="/account/language"]').filter({ has: page.locator('select:visible') }).first();
  await lang.locator('select[name="lang"]').selectOption('bg');
  await Promise.all([page.waitForLoadState('load'), lang.locator('button[type="submit"]').first().click()]);
  assert.equal(await page.locator('html').getAttribute('lang'), 'bg');
  assert.match(await page.locator('nav').first().innerText(), /Входящи|Настройки/);
  await look(page, 'audit-bg');
  // The longer Bulgarian labels must never push the top bar past the window's edge.
  for (const width of [1600, 1440, 1280, 1240, 1239, 1100, 1024, 800]) {
    await page.setViewportSize({ width, height: 900 });
    const [bar, end] = await page.evaluate(() => {
      const inner = document.querySelector('.topbar-inner');
      const last = [...inner.querySelectorAll('.topbar-end > *')].filter((e) => e.offsetParent).pop();
      return [inner.scrollWidth, last.getBoundingClientRect().right];
    });
    assert.ok(bar <= width && end <= width, `top bar fits at ${width}px: content ${bar}, last control ends at ${end}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/settings/users`);
  await look(page, 'users-bg');
  await page.setViewportSize({ width: 360, height: 780 });
  await look(page, 'users-bg-phone');
  await page.context().close();
});

test('password reset through a real mail server', async () => {
  const page = await newPage(browser);
  const user = { email: `reset-${Date.now()}@example.test`, password: 'original long passphrase' };
  const { runOwlery } = await import('./lib/server.mjs');
  const made = await runOwlery(['admin', 'create-user', '--data-dir', server.dataDir, '--email', user.email, '--name', 'Rita Reset', '--role', 'analyst', '--password-stdin'], { input: `${user.password}\n` });
  assert.equal(made.code, 0, made.stderr);
  const mark = mailMark();
  await page.goto(`${server.url}/forgot-password`);
  await look(page, 'forgot-password');
  const form = formWith(page, 'email');
  await form.locator('input[name="email"]').fill(user.email);
  await submit(page, form);
  const mail = await waitForMail(user.email, { after: mark, timeoutMs: 30_000 });
  const link = mail.links.find((l) => l.includes('/reset-password/'));
  assert.ok(link, `a reset link in: ${mail.text}`);
  await page.goto(link);
  await look(page, 'reset-password');
  const reset = formWith(page, 'password_confirm');
  await reset.locator('input[name="password"]').fill('a completely new passphrase');
  await reset.locator('input[name="password_confirm"]').fill('a completely new passphrase');
  await submit(page, reset);
  await signIn(page, user.email, 'a completely new passphrase');
  assert.equal(new URL(page.url()).pathname, '/');
  await page.context().close();
});

test('keyboard only: skip link first, sign in with Tab and Enter, open the user menu', async () => {
  const page = await newPage(browser);
  const user = { email: `keys-${Date.now()}@example.test`, password: 'keyboard long passphrase' };
  const { runOwlery } = await import('./lib/server.mjs');
  const made = await runOwlery(['admin', 'create-user', '--data-dir', server.dataDir, '--email', user.email, '--name', 'Kai Keys', '--role', 'publisher', '--password-stdin'], { input: `${user.password}\n` });
  assert.equal(made.code, 0, made.stderr);
  await page.goto(`${server.url}/signin`);
  await page.locator('input[name="email"]').focus();
  await page.keyboard.type(user.email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password', 'Tab moves to the password');
  await page.keyboard.type(user.password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.keyboard.press('Enter')]);

  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ href: document.activeElement?.getAttribute('href'), text: document.activeElement?.textContent?.trim() }));
  assert.equal(first.href, '#main', `the first Tab stop is the skip link, got ${JSON.stringify(first)}`);
  await page.keyboard.press('Enter');
  // Walk the Tab order until the user menu's summary is focused, then open it with Enter.
  let opened = false;
  for (let i = 0; i < 40 && !opened; i++) {
    await page.keyboard.press('Tab');
    const isMenu = await page.evaluate(() => document.activeElement?.closest('details.user-menu') && document.activeElement.tagName === 'SUMMARY');
    if (isMenu) {
      await page.keyboard.press('Enter');
      opened = await page.locator('details.user-menu').evaluate((d) => d.open);
    }
  }
  assert.ok(opened, 'the user menu opens from the keyboard');
  assert.ok(await page.locator('details.user-menu form[action="/signout"] button').isVisible());
  await screenshot(page, 'keyboard-user-menu');
  await page.context().close();
});
