// Read what the test SMTP server (aiosmtpd's Mailbox handler) wrote to its Maildir.
//
//   const mark = mailMark();                       // optional: ignore mail that is already there
//   ... make the app send a mail ...
//   const msg = await waitForMail('ann@example.test', { after: mark, subject: /invitation/i });
//   msg.subject, msg.text (plain-text part, decoded), msg.html, msg.links, msg.headers
//
// Environment: OWLERY_TEST_MAILDIR (set by scripts/test and scripts/services).
// A deliberately small MIME reader: multipart (nested), quoted-printable, base64, 7/8bit,
// RFC 2047 encoded headers, any charset Node's TextDecoder knows.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function maildirPath() {
  const dir = process.env.OWLERY_TEST_MAILDIR;
  if (!dir) throw new Error('OWLERY_TEST_MAILDIR is not set: run scripts/test, or eval "$(scripts/services up)"');
  return dir;
}

function messageFiles() {
  const dir = maildirPath();
  const files = [];
  for (const sub of ['new', 'cur']) {
    let names = [];
    try {
      names = readdirSync(path.join(dir, sub));
    } catch {
      continue; // the Maildir appears with the first message
    }
    for (const name of names) {
      const file = path.join(dir, sub, name);
      try {
        files.push({ name, file, mtimeMs: statSync(file).mtimeMs });
      } catch {
        // moved between readdir and stat
      }
    }
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
}

/** The names of the messages now in the Maildir; pass as `after` to only see newer mail. */
export function mailMark() {
  return new Set(messageFiles().map((f) => f.name));
}

/** Every message in the Maildir, oldest first, parsed. */
export function readAllMail() {
  return messageFiles().map(({ file, name }) => ({ ...parseMessage(readFileSync(file)), file, id: name }));
}

/**
 * Wait (bounded poll) for a message to `to` (matched against X-RcptTo, To and Cc,
 * case-insensitively). Options: subject (string: substring, or RegExp), match (predicate on
 * the parsed message), after (a mailMark()), timeoutMs (15000).
 */
export async function waitForMail(to, { subject, match, after, timeoutMs = 15_000 } = {}) {
  const want = to.toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const { file, name } of messageFiles()) {
      if (after?.has(name)) continue;
      let msg;
      try {
        msg = { ...parseMessage(readFileSync(file)), file, id: name };
      } catch {
        continue;
      }
      if (!msg.recipients.includes(want)) continue;
      if (typeof subject === 'string' && !msg.subject.includes(subject)) continue;
      if (subject instanceof RegExp && !subject.test(msg.subject)) continue;
      if (match && !match(msg)) continue;
      return msg;
    }
    if (Date.now() >= deadline) break;
    await sleep(100);
  }
  const seen = readAllMail()
    .map((m) => `  to ${m.recipients.join(', ')}: ${m.subject}`)
    .join('\n');
  throw new Error(`no mail to ${to}${subject ? ` with subject ${subject}` : ''} within ${timeoutMs} ms; the Maildir has:\n${seen || '  (nothing)'}`);
}

// ---------------------------------------------------------------- parsing

function decodeBytes(bytes, charset = 'utf-8') {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

// Strings below hold raw bytes as latin1 ("binary") so nothing is lost before decoding.
const bin = (s) => Buffer.from(s, 'latin1');

function decodeQP(s) {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: =?charset?B|Q?text?= (adjacent encoded words join without the space between). */
export function decodeHeader(value) {
  const raw = decodeBytes(bin(value), 'utf-8'); // 8-bit (SMTPUTF8) headers are UTF-8
  return raw
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQP(text.replace(/_/g, ' '));
      return decodeBytes(bytes, charset);
    });
}

function splitHeaderBody(raw) {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return [raw, ''];
  return [raw.slice(0, m.index), raw.slice(m.index + m[0].length)];
}

function parseHeaders(block) {
  const headers = new Map();
  const lines = block.split(/\r?\n/);
  const unfolded = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else if (line) unfolded.push(line);
  }
  for (const line of unfolded) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (!headers.has(key)) headers.set(key, []);
    headers.get(key).push(value);
  }
  return headers;
}

function parseParams(value) {
  const [first, ...rest] = value.split(';');
  const params = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, i).trim().toLowerCase()] = v;
  }
  return { value: first.trim().toLowerCase(), params };
}

function parsePart(raw) {
  const [head, body] = splitHeaderBody(raw);
  const headers = parseHeaders(head);
  const ct = parseParams(headers.get('content-type')?.[0] ?? 'text/plain; charset=us-ascii');
  const cte = (headers.get('content-transfer-encoding')?.[0] ?? '7bit').toLowerCase();
  if (ct.value.startsWith('multipart/') && ct.params.boundary) {
    const delim = `--${ct.params.boundary}`;
    const parts = [];
    const chunks = body.split(new RegExp(`(?:^|\\r?\\n)${delim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break; // closing delimiter
      parts.push(parsePart(chunk.replace(/^[ \t]*\r?\n/, '')));
    }
    return { headers, type: ct.value, params: ct.params, parts };
  }
  let bytes;
  if (cte === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (cte === 'quoted-printable') bytes = decodeQP(body);
  else bytes = bin(body);
  const isText = ct.value.startsWith('text/');
  return {
    headers,
    type: ct.value,
    params: ct.params,
    bytes,
    text: isText ? decodeBytes(bytes, ct.params.charset || 'utf-8') : undefined,
  };
}

function leaves(part) {
  return part.parts ? part.parts.flatMap(leaves) : [part];
}

function addresses(values = []) {
  return values
    .flatMap((v) => decodeHeader(v).split(','))
    .map((a) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase())
    .filter(Boolean);
}

/** Parse a whole message (Buffer or string). */
export function parseMessage(input) {
  const raw = Buffer.isBuffer(input) ? input.toString('latin1') : Buffer.from(input, 'utf8').toString('latin1');
  const root = parsePart(raw);
  const h = root.headers;
  const all = leaves(root).filter((p) => !/^attachment/i.test(p.headers.get('content-disposition')?.[0] ?? ''));
  const plain = all.find((p) => p.type === 'text/plain');
  const html = all.find((p) => p.type === 'text/html');
  const text = (plain?.text ?? '').replace(/\r\n/g, '\n');
  const to = addresses(h.get('to'));
  const cc = addresses(h.get('cc'));
  const rcpt = addresses(h.get('x-rcptto'));
  return {
    headers: h,
    subject: decodeHeader(h.get('subject')?.[0] ?? ''),
    from: decodeHeader(h.get('from')?.[0] ?? ''),
    to,
    cc,
    recipients: [...new Set([...rcpt, ...to, ...cc])],
    date: h.get('date')?.[0],
    text,
    html: html?.text,
    links: [...text.matchAll(/https?:\/\/[^\s<>"')\]]+/g)].map((m) => m[0]),
    parts: all,
  };
}
