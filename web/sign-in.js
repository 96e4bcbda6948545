// The sign-in page (/sign-in, api/routes/pages.py): Sign-In with Ethereum (EIP-4361) from a
// wallet or from an encrypted keystore file, in the browser.
//
// Built by scripts/bootstrap (esbuild, `npm run build:web`) into api/static/sign-in.js, which is
// build output and never committed; the page loads it as /static/sign-in.js.
//
// A keystore file and its password never leave this page: the file is read and decrypted here
// (ethers' Wallet.fromEncryptedJson), and the only things sent are the account's address (for
// the challenge), then the message it signed here and the signature. The session comes back as
// an HttpOnly cookie this script cannot read; the token in the answer's body is dropped.

import { Wallet, getAddress, hexlify, toUtf8Bytes } from 'ethers';

const API = '/api/v1';

const $ = (id) => document.getElementById(id);

// --- where to go after signing in ----------------------------------------------------------

/**
 * The path of this site that `raw` names, or null: only a path of the same origin, never
 * another site (`https://…`, `//host`, `/\host`, `javascript:`), so ?next= cannot send a
 * signed-in browser elsewhere (an open redirect).
 */
export function safeNext(raw, origin) {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return null;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null;
  // control characters and spaces are stripped or refused by URL parsers in different ways
  if (/[\u0000-\u0020\u007f]/.test(raw)) return null;
  let url;
  try {
    url = new URL(raw, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  if (url.pathname === '/sign-in') return null;
  return url.pathname + url.search + url.hash;
}

function nextPath() {
  return safeNext(new URLSearchParams(window.location.search).get('next'), window.location.origin);
}

// --- talking to the registry ------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  if (response.status === 204) return null;
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // not JSON: fall through with the status
  }
  if (!response.ok) {
    const error = (answer && answer.error) || {};
    throw new ApiError(
      response.status,
      error.code || 'http_error',
      error.message || `HTTP ${response.status}`,
    );
  }
  return answer;
}

/**
 * Sign in as `address`, whose signature of a message `sign(message)` gives: the challenge names
 * the address only; the message and signature come back. The session is the HttpOnly cookie.
 */
async function signInWith(address, sign) {
  const challenge = await call('POST', '/auth/challenge', { address });
  const signature = await sign(challenge.message);
  const session = await call('POST', '/auth/sign-in', { message: challenge.message, signature });
  return session.address;
}

// --- what the page shows ------------------------------------------------------------------------

function say(text, kind = 'info') {
  const box = $('message');
  box.textContent = text;
  box.className = `banner ${kind}`;
  box.hidden = !text;
}

function busy(on) {
  for (const element of document.querySelectorAll('[data-busy-disable]')) {
    element.disabled = on;
  }
}

async function showSession() {
  let session = null;
  try {
    session = await call('GET', '/auth/session');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  $('signed-in').hidden = session === null;
  $('sign-in-forms').hidden = session !== null;
  if (session !== null) {
    $('who').textContent = session.address;
    const roles = session.roles.length ? session.roles.join(', ') : '—';
    $('roles').textContent =
      session.registrar_code === null ? roles : `${roles} (registrar ${session.registrar_code})`;
    $('until').textContent = session.expires_at;
  }
  return session;
}

async function afterSignIn(address) {
  const next = nextPath();
  if (next !== null) {
    say(`已登录 Signed in as ${address}; 正在前往 going to ${next} …`, 'good');
    window.location.assign(next);
    return;
  }
  await showSession();
  say(`已登录 Signed in as ${address}.`, 'good');
}

function failed(error) {
  if (error instanceof ApiError) {
    say(`登录失败 Sign-in refused (${error.code}): ${error.message}`, 'bad');
  } else {
    say(`登录失败 Sign-in failed: ${error && error.message ? error.message : error}`, 'bad');
  }
}

// --- a keystore file, decrypted here ------------------------------------------------------------

async function keystoreSignIn(event) {
  event.preventDefault();
  const fileInput = $('keystore-file');
  const passwordInput = $('keystore-password');
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    say('请选择密钥库文件 Choose a keystore file.', 'bad');
    return;
  }
  busy(true);
  say('正在本地解密密钥库… Decrypting the keystore in this browser…');
  let wallet;
  try {
    const json = await file.text();
    wallet = await Wallet.fromEncryptedJson(json, passwordInput.value, (progress) => {
      say(`正在本地解密密钥库… Decrypting the keystore in this browser… ${Math.round(progress * 100)}%`);
    });
  } catch (error) {
    busy(false);
    const reason = error && error.code === 'INVALID_ARGUMENT' ? '' : ` (${error && error.message})`;
    say(
      `无法解密：密码错误或不是密钥库文件。Cannot decrypt: wrong password or not a keystore file${reason}.`,
      'bad',
    );
    return;
  }
  // the decrypted key lives only in `wallet`, in this function; the form forgets the password
  passwordInput.value = '';
  try {
    const address = await signInWith(wallet.address, (message) => wallet.signMessage(message));
    fileInput.value = '';
    await afterSignIn(address);
  } catch (error) {
    failed(error);
  } finally {
    wallet = null;
    busy(false);
  }
}

// --- a wallet (EIP-1193 window.ethereum) --------------------------------------------------------

async function walletSignIn() {
  const provider = window.ethereum;
  busy(true);
  say('请在钱包中确认 Confirm in your wallet…');
  try {
    const accounts = await provider.request({ method: 'eth_requestAccounts' });
    if (!accounts || accounts.length === 0) throw new Error('the wallet shared no account');
    const address = getAddress(accounts[0]);
    const signed = await signInWith(address, (message) =>
      provider.request({ method: 'personal_sign', params: [hexlify(toUtf8Bytes(message)), address] }),
    );
    await afterSignIn(signed);
  } catch (error) {
    failed(error);
  } finally {
    busy(false);
  }
}

// --- signing out ------------------------------------------------------------------------------

async function signOut() {
  busy(true);
  try {
    await call('POST', '/auth/sign-out');
    await showSession();
    say('已退出 Signed out.', 'good');
  } catch (error) {
    say(`退出失败 Sign-out failed: ${error.message}`, 'bad');
  } finally {
    busy(false);
  }
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  $('keystore-form').addEventListener('submit', keystoreSignIn);
  $('sign-out').addEventListener('click', signOut);
  if (window.ethereum && typeof window.ethereum.request === 'function') {
    $('wallet').hidden = false;
    $('wallet-sign-in').addEventListener('click', walletSignIn);
  }
  const next = nextPath();
  if (next !== null) $('next').textContent = next;
  $('next-note').hidden = next === null;
  busy(false);
  try {
    await showSession();
  } catch (error) {
    say(`无法查询登录状态 Cannot tell who is signed in: ${error.message}`, 'bad');
  }
  document.body.dataset.ready = 'true';
}

if (typeof document !== 'undefined') {
  start();
}
