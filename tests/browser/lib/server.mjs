// Start a real Owlery server for one test, on a free loopback port, with its own data dir.
//
//   const server = await startServer();          // creates the owner, serves, waits for /readyz
//   await page.goto(server.url + '/signin');
//   server.owner  -> { email, name, password }   // to sign in with
//   await stopServer(server);                     // SIGTERM, then SIGKILL after 10 s; removes data
//
// Environment: OWLERY_BIN (the binary; scripts/test sets target/debug/owlery),
// OWLERY_TEST_SMTP (host:port of the test SMTP server, passed on as OWLERY_SMTP_URL).
// OWLERY_TEST_TMPDIR: where data dirs go (default: the OS temp dir).
// KEEP_TEST_DATA=1 keeps the data dir (and its server-N.log) after the test; a server that
// fails to start keeps it always, and the error names its log.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_OWNER = Object.freeze({
  email: 'owner@example.test',
  name: 'Olivia Owner',
  password: 'correct horse battery staple 42',
});

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const live = new Set();

// Never leave a server behind, even when a test throws or the runner exits early.
process.on('exit', () => {
  for (const s of live) {
    try {
      s.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function owleryBin() {
  const bin = process.env.OWLERY_BIN;
  if (!bin) {
    throw new Error('OWLERY_BIN is not set: run scripts/test, or build with `cargo build -p owlery` and set OWLERY_BIN=target/debug/owlery');
  }
  const abs = path.resolve(bin);
  if (!existsSync(abs)) {
    throw new Error(`OWLERY_BIN=${bin} does not exist (cargo build -p owlery)`);
  }
  return abs;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Run `owlery ARGS...`, feeding `input` on stdin; resolves to {code, stdout, stderr}, rejects on non-zero exit. */
export async function runOwlery(args, { input, env = {}, timeoutMs = 60_000 } = {}) {
  const proc = spawn(owleryBin(), args, {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  proc.stdin.on('error', () => {}); // the program may exit before reading stdin
  proc.stdin.end(input ?? '');
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(proc, 'exit');
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`owlery ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr}${stdout}`);
  }
  return { code, stdout, stderr };
}

// scripts/test points this into .test-run/test, so data dirs kept after a failure are easy
// to find and are wiped by the next run.
function tmpRoot() {
  const dir = process.env.OWLERY_TEST_TMPDIR || os.tmpdir();
  mkdirSync(dir, { recursive: true });
  return dir;
}

function smtpEnv() {
  const smtp = process.env.OWLERY_TEST_SMTP;
  return smtp ? { OWLERY_SMTP_URL: `smtp://${smtp}` } : {};
}

/**
 * Start a server. Options:
 *   owner:  {email, name, password} of the owner account to create (DEFAULT_OWNER), or null for none
 *   env:    extra environment for `owlery serve`
 *   args:   extra arguments for `owlery serve`
 *   dataDir: use this data dir instead of a fresh temporary one
 */
export async function startServer(opts = {}) {
  const owner = opts.owner === undefined ? { ...DEFAULT_OWNER } : opts.owner;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpRoot(), 'owlery-browser-')));
  const baseEnv = { ...smtpEnv(), ...(opts.env ?? {}) };

  if (owner) {
    await runOwlery(
      ['admin', 'create-user', '--data-dir', dataDir, '--email', owner.email, '--name', owner.name, '--role', 'owner', '--password-stdin'],
      { input: `${owner.password}\n`, env: baseEnv },
    );
  }

  // The port is picked here and handed over; if another process grabs it in between,
  // the server exits at once and we try again with another port.
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logPath = path.join(dataDir, `server-${attempt}.log`);
    const log = createWriteStream(logPath);
    const proc = spawn(owleryBin(), ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir, ...(opts.args ?? [])], {
      env: { RUST_LOG: 'info', ...process.env, OWLERY_PUBLIC_URL: url, ...baseEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.pipe(log, { end: false });
    proc.stderr.pipe(log, { end: false });
    const server = { url, port, dataDir, owner, proc, logPath, log, exited: null };
    server.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal }));
      proc.once('error', (error) => resolve({ code: null, signal: null, error }));
    });
    live.add(server);
    try {
      await waitReady(server);
      return server;
    } catch (e) {
      lastError = e;
      await stopServer(server, { keepData: true });
      const text = await readFile(logPath, 'utf8').catch(() => '');
      if (!/address (already )?in use/i.test(text)) break;
    }
  }
  // The data dir is kept: the error message points at the server's log in it.
  throw lastError;
}

async function waitReady(server) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit = null;
  server.exited.then((e) => (exit = e));
  let lastStatus = 'no answer';
  while (Date.now() < deadline) {
    if (exit) {
      const how = exit.error?.message ?? exit.signal ?? `code ${exit.code}`;
      throw new Error(`owlery serve exited (${how}) before it was ready\n${await logTail(server)}`);
    }
    try {
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastStatus = `HTTP ${res.status}`;
    } catch (e) {
      lastStatus = e.cause?.code ?? e.message;
    }
    await sleep(100);
  }
  throw new Error(`owlery serve not ready at ${server.url}/readyz after ${READY_TIMEOUT_MS / 1000}s (last: ${lastStatus})\n${await logTail(server)}`);
}

async function logTail(server, lines = 40) {
  const text = await readFile(server.logPath, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return `--- last lines of ${server.logPath} ---\n${tail}\n---`;
}

/** Stop a server started by startServer and remove its data dir (unless KEEP_TEST_DATA=1). */
export async function stopServer(server, { keepData = false } = {}) {
  if (!server) return;
  const { proc } = server;
  if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await server.exited;
    clearTimeout(timer);
  }
  live.delete(server);
  server.log.end();
  if (!keepData && process.env.KEEP_TEST_DATA !== '1') {
    await rm(server.dataDir, { recursive: true, force: true });
  }
}
