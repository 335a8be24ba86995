// Smoke test: a real `owlery serve` with an owner account, its sign-in page in Chromium,
// a screenshot, and axe-core finding no serious or critical accessibility problem.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { startServer, stopServer } from './lib/server.mjs';

let server;
let browser;

before(async () => {
  // One after the other: if the server fails to start, `after` still closes the browser.
  browser = await launchBrowser();
  server = await startServer();
});

after(async () => {
  await browser?.close();
  await stopServer(server);
});

test('the sign-in page renders and is accessible', async () => {
  const page = await newPage(browser);
  const res = await page.goto(`${server.url}/signin`);
  assert.equal(res?.status(), 200, `GET /signin answered ${res?.status()}`);

  const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
  await assert.doesNotReject(form.locator('input[name="email"]').waitFor(), 'an email field');
  assert.equal(await form.locator('input[name="password"]').getAttribute('type'), 'password');
  assert.ok((await form.locator('button[type="submit"], input[type="submit"], button:not([type])').count()) >= 1, 'a submit button');

  await screenshot(page, 'signin');
  await checkA11y(page);
});
