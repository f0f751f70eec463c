// The admin console at /admin: one page, a section per task (overview, live meetings, users,
// rooms, recordings, directory, security settings, audit log, phones and room systems (SIP),
// TLS certificate, recording volume), chosen by the address's fragment (#users). Each section's script is loaded when
// the section is first shown and gets its data only from the admin and audit APIs, which
// check the role themselves. Auditors see the audit log only; plain users are told that the
// console is not for them; nobody signed in is sent to the front door's sign-in.
import { ApiError, currentSession, signOut } from './api.js';
import { $, applyTexts, copyText } from './dom.js';
import { texts } from './admin-texts.js';

applyTexts(texts);
document.title = texts.page.title;

/** The sections, their scripts and who may see them. */
const sections = {
  overview: { load: () => import('./admin-overview.js'), roles: ['admin'] },
  meetings: { load: () => import('./admin-meetings.js'), roles: ['admin'] },
  users: { load: () => import('./admin-users.js'), roles: ['admin'] },
  rooms: { load: () => import('./admin-rooms.js'), roles: ['admin'] },
  recordings: { load: () => import('./admin-recordings.js'), roles: ['admin'] },
  directory: { load: () => import('./admin-directory.js'), roles: ['admin'] },
  settings: { load: () => import('./admin-settings.js'), roles: ['admin'] },
  audit: { load: () => import('./admin-audit.js'), roles: ['admin', 'auditor'] },
  sip: { load: () => import('./admin-sip.js'), roles: ['admin'] },
  tls: { load: () => import('./admin-tls.js'), roles: ['admin'] },
  volume: { load: () => import('./admin-volume.js'), roles: ['admin'] },
};

let role = '';
let current = null; // { name, module }

/** Shown in the console's status line (a polite live region). */
export function say(message) {
  $('status').textContent = message;
}

/** What to tell the administrator about a failed call; a lost session goes to sign-in. */
export function explain(error) {
  if (!(error instanceof ApiError)) return texts.failed(error?.message);
  if (error.status === 401) {
    signInAgain();
    return texts.sessionEnded;
  }
  if (error.status === 0) return texts.network;
  if (error.code === 'address_denied') return texts.addressDenied;
  if (error.status === 403) return texts.forbidden;
  return texts.failed(error.message);
}

/** Copies `text` (selecting `input` when the clipboard refuses) and says how it went. */
export async function copyAndSay(text, input = null) {
  say(await copyText(text, input) ? texts.copied : texts.copyFailed);
}

/** Runs `render` and gives the focus back to the element with the same data-key, so that a
 *  table refreshed under the keyboard does not lose the person's place; when that element is
 *  gone (its row was deleted), to the element `fallbackId` (the section's heading). */
export function keepFocus(render, fallbackId) {
  const key = document.activeElement?.dataset?.key;
  render();
  if (!key) return;
  const again = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (again) again.focus();
  else if (fallbackId) $(fallbackId)?.focus();
}

function signInAgain() {
  const next = `/admin${window.location.hash}`;
  window.location.replace(`/?next=${encodeURIComponent(next)}`);
}

function refuse(message) {
  $('loading').hidden = true;
  $('refused').hidden = false;
  $('refused-text').textContent = message;
}

const allowed = (name) => sections[name]?.roles.includes(role);

/** Shows the section the fragment names ("#meetings/12": section, then its argument). */
async function route(moved) {
  const [wanted, ...rest] = window.location.hash.replace(/^#/, '').split('/');
  if (wanted === 'content') return; // the skip link, not a section
  const fallback = role === 'auditor' ? 'audit' : 'overview';
  const name = allowed(wanted) ? wanted : fallback;
  const argument = name === wanted ? rest.join('/') : '';
  if (current && current.name !== name) current.module.hide?.();
  for (const section of document.querySelectorAll('.admin-section'))
    section.hidden = section.id !== `section-${name}`;
  for (const link of document.querySelectorAll('#sections-nav a')) {
    if (link.dataset.section === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = texts.sectionTitle(texts.page.sections[name]);
  if (current?.name !== name) say('');
  if (moved) $(`${name}-title`).focus();
  delete document.body.dataset.shown;
  try {
    const module = await sections[name].load();
    current = { name, module };
    await module.show(argument);
  } catch (error) {
    say(explain(error));
  }
  // Says that the section has its data (the browser tests wait for it).
  document.body.dataset.shown = name;
}

async function start() {
  // The skip link moves the focus without changing the section in the address.
  $('skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    $('content').focus();
  });
  $('sign-out').addEventListener('click', async () => {
    try {
      await signOut();
    } catch {
      // The session may be gone already; either way the person is signed out here.
    }
    window.location.assign('/');
  });
  let session;
  try {
    session = await currentSession();
  } catch (error) {
    $('loading').hidden = true;
    say(explain(error));
    return;
  }
  if (!session) {
    signInAgain();
    return;
  }
  role = session.user.role;
  $('account-nav').hidden = false;
  $('signed-in-as').textContent = texts.signedInAs(session.user.displayName || session.user.username);
  if (role !== 'admin' && role !== 'auditor') {
    refuse(texts.refused.user);
    return;
  }
  // The server refused this page (403) to an admin or auditor: not from an address the
  // [access] admin lists permit.
  if (performance.getEntriesByType('navigation')[0]?.responseStatus === 403) {
    refuse(texts.refused.address);
    return;
  }
  for (const item of document.querySelectorAll('#sections-nav li'))
    item.hidden = !item.dataset.role.split(' ').includes(role);
  $('loading').hidden = true;
  $('sections-nav').hidden = false;
  window.addEventListener('hashchange', () => route(true));
  await route(false);
}

start();
