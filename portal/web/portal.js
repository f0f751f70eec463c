// The front door at /: sign-in for local and directory accounts, then the person's home
// (personal room, scheduled meetings), sign-out and password change.
import { ApiError, call, currentSession, setCsrfToken, signIn, signOut } from './api.js';
import { $, applyTexts, copyText } from './dom.js';
import { showRoom } from './home-room.js';
import { initMeetings, setOwner, showMeetings } from './home-meetings.js';
import { initInvitations } from './home-invitations.js';
import { texts } from './portal-texts.js';

// The page's texts, before anything but "Loading…" is shown.
applyTexts(texts);
document.title = texts.page.title;

let session = null;

/** Shown in the home's status line (a polite live region). */
export function say(message) {
  $('home-status').textContent = message;
}

/** Copies `text` (selecting `input` for the person when the clipboard refuses) and says how
 *  it went. */
export async function copyAndSay(text, input = null) {
  say(await copyText(text, input) ? texts.copied : texts.copyFailed);
}

/** What to tell the person about a failed call; a lost session sends them to sign-in. */
export function explain(error) {
  if (error instanceof ApiError && error.status === 401) {
    showSignIn(texts.sessionEnded);
    return texts.sessionEnded;
  }
  if (error instanceof ApiError && error.status === 0) return texts.network;
  return texts.errors.generic(error.message);
}

function showSignIn(message = '') {
  session = null;
  $('loading').hidden = true;
  $('home').hidden = true;
  $('account-nav').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('username').focus();
}

async function showHome() {
  $('loading').hidden = true;
  $('sign-in').hidden = true;
  $('account-nav').hidden = false;
  const user = session.user;
  $('signed-in-as').textContent = texts.signedInAs(user.displayName || user.username);
  // Directory accounts change their password in the directory, not here.
  $('change-password-open').hidden = user.source !== 'local';
  $('admin-link').hidden = user.role !== 'admin' && user.role !== 'auditor';
  setOwner(user.username);
  $('home').hidden = false;
  try {
    await refreshRooms();
  } catch (error) {
    say(explain(error));
  }
}

/** Reloads the rooms after a change somewhere on the page. */
export async function refreshRooms() {
  const { rooms } = await call('GET', '/api/v1/rooms');
  showRoom(rooms.find((room) => room.kind === 'personal'));
  showMeetings(rooms.filter((room) => room.kind === 'meeting'));
  return rooms;
}

/** Where to go after signing in: the `next` of the address (/?next=/admin), when it is a
 *  page of this server; null otherwise (no redirect to another site). */
function nextPage() {
  const next = new URLSearchParams(window.location.search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  const target = new URL(next, window.location.origin);
  return target.origin === window.location.origin ? target.pathname + target.search + target.hash : null;
}

function signInMessage(error) {
  if (!(error instanceof ApiError)) return texts.signIn.failed;
  if (error.status === 0) return texts.network;
  if (error.status === 401) return texts.signIn.wrong;
  if (error.status === 429) {
    const seconds = error.retryAfter ?? 30;
    if (seconds <= 1) return texts.signIn.busy;
    const until = new Date(Date.now() + seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return texts.signIn.lockedOut(seconds, until);
  }
  if (error.status === 503) return texts.signIn.directoryDown;
  if (error.status === 400) return texts.signIn.missing;
  return texts.signIn.failed;
}

async function onSignIn(event) {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!username || !password) {
    $('sign-in-error').textContent = texts.signIn.missing;
    (username ? $('password') : $('username')).focus();
    return;
  }
  $('sign-in-button').disabled = true;
  $('sign-in-error').textContent = texts.signIn.signingIn;
  try {
    session = await signIn(username, password);
    $('password').value = '';
    if (nextPage()) {
      window.location.assign(nextPage());
      return;
    }
    $('sign-in-error').textContent = '';
    await showHome();
    $('content').focus();
  } catch (error) {
    $('password').value = '';
    $('sign-in-error').textContent = signInMessage(error);
    $('password').focus();
  } finally {
    $('sign-in-button').disabled = false;
  }
}

async function onSignOut() {
  try {
    await signOut();
  } catch {
    // The session may be gone already; either way the person is signed out here.
  }
  showSignIn();
}

function openPasswordDialog() {
  $('password-form').reset();
  $('password-error').textContent = '';
  $('password-dialog').showModal();
  $('current-password').focus();
}

async function onChangePassword(event) {
  event.preventDefault();
  const currentPassword = $('current-password').value;
  const newPassword = $('new-password').value;
  if (newPassword !== $('repeat-password').value) {
    $('password-error').textContent = texts.password.mismatch;
    $('repeat-password').focus();
    return;
  }
  try {
    const renewed = await call('POST', '/api/v1/me/password', { currentPassword, newPassword });
    setCsrfToken(renewed.csrfToken);
    session = renewed;
    $('password-dialog').close();
    say(texts.password.changed);
  } catch (error) {
    if (error.code === 'wrong_password') $('password-error').textContent = texts.password.wrongCurrent;
    else if (error.code === 'weak_password') $('password-error').textContent = texts.password.weak(error.message);
    else if (error.code === 'directory_user') $('password-error').textContent = texts.password.directory;
    else $('password-error').textContent = explain(error);
  }
}

function onJoinById(event) {
  event.preventDefault();
  const digits = $('join-meeting-id').value.replace(/[\s-]/g, '');
  if (!/^\d{9}$/.test(digits)) {
    $('join-by-id-error').textContent = texts.joinById.invalid;
    $('join-meeting-id').focus();
    return;
  }
  // The meeting page joins with the ID; the server checks it (and throttles guessing).
  window.location.assign(`/meeting/${digits}`);
}

async function start() {
  $('sign-in-form').addEventListener('submit', onSignIn);
  $('join-by-id-form').addEventListener('submit', onJoinById);
  $('sign-out').addEventListener('click', onSignOut);
  $('change-password-open').addEventListener('click', openPasswordDialog);
  $('password-form').addEventListener('submit', onChangePassword);
  $('password-cancel').addEventListener('click', () => $('password-dialog').close());
  initMeetings();
  initInvitations();
  try {
    session = await currentSession();
  } catch (error) {
    showSignIn(explain(error));
    return;
  }
  if (session && nextPage()) window.location.assign(nextPage());
  else if (session) await showHome();
  else showSignIn();
}

start();
