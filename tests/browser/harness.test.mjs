// Tests of the test harness itself (no Owlery binary needed): the MIME reader, the SMTP
// service + Maildir wiring, Chromium via playwright-core, screenshots and axe-core.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkA11y, launchBrowser, newPage, screenshot } from './lib/browser.mjs';
import { mailMark, parseMessage, waitForMail } from './lib/mail.mjs';

describe('mail reader', () => {
  test('quoted-printable text part of a multipart/alternative message, encoded subject', () => {
    const m = parseMessage(
      [
        'From: Owlery <noreply@example.test>',
        'To: "Ann Example" <Ann@Example.test>',
        'Subject: =?utf-8?q?Caf=C3=A9_invitation?=',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="b1"',
        'X-RcptTo: ann@example.test',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Open http://127.0.0.1:8080/invite/abc?x=3D1 to join =E2=80=94 welc=',
        'ome.',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>hi</p>',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    assert.equal(m.subject, 'Café invitation');
    assert.deepEqual(m.recipients, ['ann@example.test']);
    assert.equal(m.text, 'Open http://127.0.0.1:8080/invite/abc?x=1 to join — welcome.');
    assert.equal(m.html, '<p>hi</p>');
    assert.deepEqual(m.links, ['http://127.0.0.1:8080/invite/abc?x=1']);
  });

  test('base64 body inside multipart/mixed with an attachment', () => {
    const body = Buffer.from('Grüße aus Owlery\nZeile zwei\n').toString('base64');
    const m = parseMessage(
      [
        'To: bob@example.test',
        'Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?B?IQ==?=',
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        'preamble',
        '--outer',
        'Content-Type: multipart/alternative; boundary=inner',
        '',
        '--inner',
        'Content-Type: text/plain; charset="UTF-8"',
        'Content-Transfer-Encoding: base64',
        '',
        body,
        '--inner--',
        '--outer',
        'Content-Type: text/plain',
        'Content-Disposition: attachment; filename=a.txt',
        '',
        'not the body',
        '--outer--',
      ].join('\n'),
    );
    assert.equal(m.subject, 'Grüße!');
    assert.equal(m.text, 'Grüße aus Owlery\nZeile zwei\n');
  });
});

// A minimal SMTP client, enough to prove the test SMTP server and the Maildir are wired up.
async function sendMail(hostPort, from, to, data) {
  const [host, port] = hostPort.split(':');
  const sock = net.connect(Number(port), host);
  sock.setEncoding('utf8');
  let buf = '';
  const waiters = [];
  sock.on('data', (d) => {
    buf += d;
    let m;
    // a complete reply: its last line has a space after the code
    while ((m = /^(?:\d{3}-.*\r\n)*(\d{3}) .*\r\n/.exec(buf))) {
      buf = buf.slice(m[0].length);
      waiters.shift()?.resolve(Number(m[1]));
    }
  });
  sock.on('error', (e) => waiters.splice(0).forEach((w) => w.reject(e)));
  const reply = () => new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  const cmd = async (line, ok) => {
    const r = reply();
    sock.write(`${line}\r\n`);
    const code = await r;
    assert.equal(Math.floor(code / 100), ok, `SMTP ${line.split(' ')[0]} answered ${code}`);
  };
  assert.equal(await reply(), 220);
  await cmd('EHLO harness.test', 2);
  await cmd(`MAIL FROM:<${from}>`, 2);
  await cmd(`RCPT TO:<${to}>`, 2);
  await cmd('DATA', 3);
  await cmd(`${data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`, 2);
  await cmd('QUIT', 2);
  sock.end();
}

test('test SMTP server delivers into the Maildir', { skip: !process.env.OWLERY_TEST_SMTP && process.env.CI_SERVICES !== '1' && 'no OWLERY_TEST_SMTP (scripts/services up)' }, async () => {
  assert.ok(process.env.OWLERY_TEST_SMTP, 'CI_SERVICES=1 but OWLERY_TEST_SMTP is not set');
  const mark = mailMark();
  const to = `harness-${process.pid}-${Date.now()}@example.test`;
  await sendMail(process.env.OWLERY_TEST_SMTP, 'owlery@example.test', to, `To: ${to}\nSubject: harness check\n\nhello`);
  const msg = await waitForMail(to, { after: mark, subject: 'harness', timeoutMs: 10_000 });
  assert.equal(msg.text.trim(), 'hello');
});

describe('browser', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  const goodPage = `<!doctype html><html lang="en"><head><title>Sign in</title></head><body><main>
    <h1>Sign in</h1><form><label for="e">Email</label><input id="e" name="email" type="email">
    <label for="p">Password</label><input id="p" name="password" type="password">
    <button type="submit">Sign in</button></form></main></body></html>`;

  test('renders a page and takes a screenshot', async () => {
    const page = await newPage(browser);
    await page.setContent(goodPage);
    const file = await screenshot(page, 'harness-good');
    assert.ok(existsSync(file) && statSync(file).size > 1000, `screenshot ${file}`);
  });

  test('checkA11y passes an accessible page', async () => {
    const page = await newPage(browser);
    await page.setContent(goodPage);
    await checkA11y(page);
  });

  test('checkA11y fails on serious violations, even under a strict CSP', async () => {
    const page = await newPage(browser);
    const bad = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none'">
      </head><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input name="email"></body></html>`;
    await page.goto(`data:text/html;base64,${Buffer.from(bad).toString('base64')}`);
    await assert.rejects(checkA11y(page, { reportMinor: false }), (e) => {
      assert.match(e.message, /serious\/critical/);
      assert.match(e.message, /image-alt/);
      return true;
    });
  });
});
