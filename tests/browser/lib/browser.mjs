// Debian's Chromium, driven by playwright-core (never a downloaded browser), plus
// screenshot and accessibility helpers.
//
//   const browser = await launchBrowser();
//   const page = await newPage(browser);
//   await page.goto(url);
//   await screenshot(page, 'signin');   // $SCREENSHOT_DIR/signin.png
//   await checkA11y(page);              // fails on serious/critical axe-core violations
//   await browser.close();
//
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default target/screenshots).
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

// Flags that work on this project's machines: the network is closed, so every
// background connection Chromium would try is switched off.
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/**
 * Launch Chromium. Playwright gives every launch a fresh, empty user-data-dir of its own
 * (and deletes it on close).
 */
export async function launchBrowser(opts = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    timeout: 30_000,
    ...opts.launch,
  });
}

/** A page in a new, isolated context (own cookies and storage). */
export async function newPage(browser, contextOptions = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    ...contextOptions,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return context.newPage();
}

export function screenshotDir() {
  return path.resolve(process.env.SCREENSHOT_DIR || 'target/screenshots');
}

/** Full-page PNG into $SCREENSHOT_DIR/<name>.png; returns its path. */
export async function screenshot(page, name, opts = {}) {
  const dir = screenshotDir();
  await mkdir(dir, { recursive: true });
  const safe = String(name).replace(/[^A-Za-z0-9._-]+/g, '-');
  const file = path.join(dir, `${safe}.png`);
  await page.screenshot({ path: file, fullPage: true, ...opts });
  return file;
}

const AXE_PATH = require.resolve('axe-core/axe.min.js');
let axeSource;

async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object').catch(() => false)) return;
  try {
    await page.addScriptTag({ path: AXE_PATH });
  } catch {
    // A strict Content-Security-Policy blocks the inline <script>; handled below.
  }
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  axeSource ??= await readFile(AXE_PATH, 'utf8');
  await page.evaluate(`${axeSource}\n;void 0`);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    throw new Error('could not load axe-core into the page');
  }
}

/** Run axe-core on the page; returns the raw results. `options.context` narrows what is checked. */
export async function runAxe(page, { context, options } = {}) {
  await injectAxe(page);
  return page.evaluate(
    ([ctx, opts]) => window.axe.run(ctx ?? document, { resultTypes: ['violations'], ...(opts ?? {}) }),
    [context ?? null, options ?? null],
  );
}

function shortUrl(url) {
  return url.length > 120 ? `${url.slice(0, 117)}...` : url;
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 10)
        .map((n) => {
          const summary = (n.failureSummary ?? '').replace(/\n/g, '\n        ');
          return `    - ${n.target.join(' ')}\n      ${n.html.slice(0, 200)}\n        ${summary}`;
        })
        .join('\n');
      const more = v.nodes.length > 10 ? `\n    … and ${v.nodes.length - 10} more` : '';
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/**
 * Fail on any axe-core violation whose impact is `serious` or `critical`; lesser ones are
 * printed as warnings. Options: context (axe context, e.g. {exclude: [...]}), options (axe
 * run options, e.g. {rules: {...}}), failOn (impacts that fail), reportMinor (print the rest).
 */
export async function checkA11y(page, { context, options, failOn = ['serious', 'critical'], reportMinor = true } = {}) {
  const { violations } = await runAxe(page, { context, options });
  const failing = violations.filter((v) => failOn.includes(v.impact));
  const other = violations.filter((v) => !failOn.includes(v.impact));
  if (other.length && reportMinor) {
    console.warn(`axe-core: ${other.length} minor accessibility issue(s) on ${shortUrl(page.url())}:\n${formatViolations(other)}`);
  }
  if (failing.length) {
    throw new Error(`axe-core: ${failing.length} serious/critical accessibility violation(s) on ${shortUrl(page.url())}:\n${formatViolations(failing)}`);
  }
  return violations;
}
