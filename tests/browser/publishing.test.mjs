// Publishing end to end in a real browser: a publisher composes one post for five networks, sees
// X refuse the text and fixes it for X alone, attaches an image whose crop follows the focal point
// she clicks, and submits it for approval; an approver approves it; it appears on the calendar and
// is dragged to another day. Pages are checked with axe-core and photographed (desktop and phone).
//
// Setup goes through the API and the admin CLI (practice channels on five networks, an approval
// workflow, the people), so that the test's clicks are the flow itself.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { runOwlery, startServer, stopServer } from './lib/server.mjs';

const PAULA = { email: 'paula@example.test', name: 'Paula Publisher', password: 'paula publishes posts 42' };
const ADAM = { email: 'adam@example.test', name: 'Adam Approver', password: 'adam approves posts 42' };
const NETWORKS = ['x', 'bluesky', 'linkedin', 'instagram', 'mastodon'];

let server;
let browser;
let api;
let channels = {};

/** A PNG of `w`×`h`: a dark background with a bright square around (fx, fy) — the subject. */
function subjectPng(w, h, fx, fy) {
  const crc = (buf) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const inside = Math.abs(x - fx * w) < w / 10 && Math.abs(y - fy * h) < h / 10;
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = inside ? 250 : 30 + (x % 64);
      raw[o + 1] = inside ? 200 : 40;
      raw[o + 2] = inside ? 40 : 60 + (y % 64);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function createUser(person, role) {
  await runOwlery(
    ['admin', 'create-user', '--data-dir', server.dataDir, '--email', person.email, '--name', person.name, '--role', role, '--password-stdin'],
    { input: `${person.password}\n` },
  );
}

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
  await createUser(PAULA, 'publisher');
  await createUser(ADAM, 'approver');
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
  for (const network of NETWORKS) {
    const ch = await api('POST', '/channels', {
      workspace_id: ws.id,
      network,
      name: `Brand ${network}`,
      handle: `brand_${network}`,
      simulated: true,
    });
    channels[network] = ch.id;
  }
  await api('PUT', '/workflows', {
    workspace_id: ws.id,
    name: 'Brand review',
    steps: [{ name: 'Brand', approvers: { kind: 'role', role: 'approver' }, required: 1 }],
  });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
});

async function signIn(page, person) {
  await page.goto(`${server.url}/signin`);
  await page.fill('input[name="email"]', person.email);
  await page.fill('input[name="password"]', person.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('form button[type="submit"]')]);
}

async function signOut(page) {
  await page.context().clearCookies();
}

/** The live check of one channel in the composer. */
function checkOf(page, network) {
  return page.locator(`#check-${channels[network]}`);
}

function tomorrowAt(hour) {
  const d = new Date(Date.now() + 24 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:00`;
}

test('compose for five networks, fix X, crop around the subject, approve, see it on the calendar, drag it', async () => {
  const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  await signIn(page, PAULA);

  // The image: uploaded to the media library, focal point clicked on the subject (upper right).
  const file = path.join(server.dataDir, 'subject.png');
  await writeFile(file, subjectPng(1600, 1200, 0.8, 0.25));
  await page.goto(`${server.url}/media`);
  await page.setInputFiles('input[type="file"][name="file"]', file);
  await page.fill('form[enctype="multipart/form-data"] [name="alt"]', 'A bright square in the upper right');
  await Promise.all([
    page.waitForURL(/\/media\/[0-9a-f-]{36}$/),
    page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click(),
  ]);
  const image = page.locator('img[data-focal-form]');
  await image.waitFor();
  const box = await image.boundingBox();
  await Promise.all([page.waitForURL(/saved=focal/), image.click({ position: { x: box.width * 0.8, y: box.height * 0.25 } })]);
  await checkA11y(page);
  await screenshot(page, 'publishing-media-focal');

  // Compose: one text for five channels. 250 letters and 20 emoji: X weighs each emoji as 2
  // (290 of 280); Bluesky counts 270 graphemes (of 300); the others allow far more.
  await page.goto(`${server.url}/publish/new`);
  const text = `${'Our autumn menu is here, with pumpkin soup, roasted chestnuts and warm apple pie. '.repeat(4).slice(0, 250)}${'🍂'.repeat(20)}`;
  await page.fill('#post-text', text);
  await page.fill('#post-title', 'Autumn menu');
  for (const network of NETWORKS) await page.check(`input[name="channel"][value="${channels[network]}"]`);
  await page.locator('input[name="media"]').first().check();
  await checkOf(page, 'x').locator('.finding-error').waitFor();
  assert.match(await checkOf(page, 'x').innerText(), /290\/280/);
  await checkOf(page, 'bluesky').locator('.check-ok, .finding-warning').first().waitFor();
  await screenshot(page, 'publishing-composer-x-too-long');
  await checkA11y(page);

  // Fix it for X alone.
  const xVariant = page.locator('[data-variant]').filter({ has: page.locator(`input[name="channel"][value="${channels.x}"]`) });
  await xVariant.locator('.custom-toggle').check();
  await xVariant.locator('textarea[data-variant-text]').fill('Autumn menu: pumpkin soup, chestnuts, apple pie. #autumn');
  await checkOf(page, 'x').locator('.check-ok').waitFor();
  const left = await page.locator('.variant-check .finding-error').allInnerTexts();
  assert.deepEqual(left, [], 'no channel has an error left');

  await page.fill('#post-when', tomorrowAt(10));
  await page.selectOption('#post-tz', 'UTC');
  await Promise.all([page.waitForURL(/\/publish\/posts\/.+done=submitted/), page.click('button[value="schedule"]')]);
  const flash = await page.locator('.flash').innerText();
  assert.match(flash, /5/, `five variants wait for approval: ${flash}`);
  assert.equal(await page.locator('.status-in_review').count(), 5);
  await screenshot(page, 'publishing-submitted');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'publishing-composer-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Another person approves.
  await signOut(page);
  await signIn(page, ADAM);
  await page.goto(`${server.url}/approvals`);
  const card = page.locator('form.rv-decide').first();
  await card.waitFor();
  await screenshot(page, 'publishing-approvals');
  await checkA11y(page);
  await Promise.all([page.waitForLoadState('load'), card.locator('button[value="approve"]').click()]);
  await page.waitForLoadState('load');

  // On the calendar, then dragged to the day after.
  await signOut(page);
  await signIn(page, PAULA);
  const day = tomorrowAt(10).slice(0, 10);
  await page.goto(`${server.url}/calendar?view=week&date=${day}`);
  const entries = page.locator(`.cal-day[data-date="${day}"] article[data-move-url]`);
  await entries.first().waitFor();
  assert.equal(await entries.count(), 5, 'five approved variants on that day');
  await screenshot(page, 'publishing-calendar');
  await checkA11y(page);
  const next = page.locator(`.cal-day[data-date]:not([data-date="${day}"])`).last();
  const target = await next.getAttribute('data-date');
  await Promise.all([page.waitForEvent('framenavigated'), entries.first().dragTo(next)]);
  await page.waitForLoadState('load');
  const moved = await page.locator('.flash').innerText();
  assert.doesNotMatch(moved, /approv|error|not/i, `the move was accepted: ${moved}`);
  await page.goto(`${server.url}/calendar?view=week&date=${target}`);
  await page.locator(`.cal-day[data-date="${target}"] article[data-move-url]`).first().waitFor();
  await screenshot(page, 'publishing-calendar-after-drag');
});
