// End to end: the front door at /. A nurse signs in through the form (a local account, then a
// directory account from a real slapd), starts her room, copies the guest link; a guest
// waits and is let in; she schedules a meeting in her own time zone (not UTC), gets its
// calendar file (parsed by Python's icalendar) and its invitation text; a personal invitation
// is created, used, and revoked, which removes its holder. axe-core checks every page state;
// screenshots are kept for people to look at. Run by ctest:
//   node tests/e2e/portal.test.mjs <parleyd> <parleyctl>
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { FLAGS, api, checkAccessibility, cleanups, fetchBytes, log, login, run, runTest, screenshot, startServer,
  signIn, testSettings, waitFor } from './harness.mjs';
import { startSlapd } from './slapd.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: portal.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-portal-'));
const dataDir = path.join(work, 'data');
const common = testSettings(dataDir);
// Not UTC, and with daylight saving time: a wrong offset shows in the listed times.
const ZONE = 'America/New_York';
async function browserPage(base, name) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ ignoreHTTPSErrors: true, timezoneId: ZONE, locale: 'en-US',
    viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') log(`[${name}]`, message.text()); });
  page.on('pageerror', (error) => log(`[${name}] page error:`, error.message));
  return page;
}

const text = (page, selector) => page.locator(selector).innerText();

async function main() {
  const slapd = await startSlapd(path.join(work, 'slapd'));
  const { port } = await startServer(parleyd, parleyctl, [...common, ...slapd.settings], work);
  const base = `https://127.0.0.1:${port}`;
  const admin = await login(port, 'owner', 'owner-password');
  assert.equal((await api(port, 'POST', '/api/v1/users', { username: 'nurse', password: 'nurse-password',
    displayName: 'Nora Nurse' }, admin)).status, 201);
  assert.equal((await api(port, 'POST', '/api/v1/users', { username: 'helper', password: 'helper-password',
    displayName: 'Hal Helper' }, admin)).status, 201);

  // The front door: a sign-in form, not a JSON 404.
  const nurse = await browserPage(base, 'nurse');
  await nurse.goto(`${base}/`);
  await nurse.waitForSelector('#sign-in:not([hidden])');
  await checkAccessibility(nurse, 'sign-in');
  await screenshot(nurse, 'portal-1-sign-in');

  // A wrong password says so in words and keeps the person on the form.
  await signIn(nurse, 'nurse', 'not-her-password');
  await waitFor('the wrong-password message', async () => /not right/.test(await text(nurse, '#sign-in-error')));
  await screenshot(nurse, 'portal-2-wrong-password');

  // Keyboard only: type, Tab, type, Enter.
  await nurse.fill('#username', '');
  await nurse.focus('#username');
  await nurse.keyboard.type('nurse');
  await nurse.keyboard.press('Tab');
  await nurse.keyboard.type('nurse-password');
  await nurse.keyboard.press('Enter');
  await nurse.waitForSelector('#home:not([hidden])');
  assert.match(await text(nurse, '#signed-in-as'), /Nora Nurse/);
  assert.ok(await nurse.isVisible('#change-password-open'), 'a local account may change its password here');
  const session = await login(port, 'nurse', 'nurse-password');
  const room = (await api(port, 'GET', '/api/v1/rooms', null, session)).body.rooms[0];
  assert.equal(await text(nurse, '#room-meeting-id'), room.meetingId);
  await checkAccessibility(nurse, 'home');
  await screenshot(nurse, 'portal-3-home');

  // Switches are stored at once; the guest link is copied whole.
  if (!(await nurse.isChecked('#room-waiting'))) await nurse.check('#room-waiting');
  await waitFor('the waiting room stored', async () =>
    (await api(port, 'GET', `/api/v1/rooms/${room.id}`, null, session)).body.waitingRoom === true);
  await nurse.click('#room-link-copy');
  const copied = await nurse.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, `${base}/join/${room.link}`);
  assert.match(await text(nurse, '#home-status'), /Copied/);

  // A new link needs a confirmation, and the old one stops working.
  await nurse.click('#room-link-regenerate');
  await nurse.waitForSelector('#confirm-dialog[open]');
  await checkAccessibility(nurse, 'confirm a new link');
  await screenshot(nurse, 'portal-4-confirm-new-link');
  await nurse.click('#confirm-yes');
  await waitFor('the new link shown', async () => !(await nurse.inputValue('#room-link')).endsWith(room.link));
  const link = (await api(port, 'GET', `/api/v1/rooms/${room.id}`, null, session)).body.link;
  assert.equal(await nurse.inputValue('#room-link'), `${base}/join/${link}`);
  await nurse.click('#room-link-copy');
  const guestLink = await nurse.evaluate(() => navigator.clipboard.readText());
  assert.equal(guestLink, `${base}/join/${link}`);

  // Start: the room opens as its moderator's meeting, without asking her name.
  await Promise.all([nurse.waitForURL(`${base}/join/${link}`), nurse.click('#room-start')]);
  await nurse.waitForSelector('#meeting:not([hidden]), #prejoin:not([hidden]), #join:not([hidden])');
  if (await nurse.isVisible('#join-button')) {
    assert.ok(!(await nurse.isVisible('#name')), 'a signed-in person is not asked for a name');
    await nurse.click('#join-button');
  }
  await nurse.waitForSelector('#meeting:not([hidden])', { timeout: 15000 });
  await nurse.waitForSelector('#moderation:not([hidden])');

  // A guest opens the copied link, waits, and is let in.
  const guest = await browserPage(base, 'guest');
  await guest.goto(guestLink);
  await guest.fill('#name', 'Gary Guest');
  await guest.click('#join-button');
  await guest.waitForSelector('#lobby:not([hidden])');
  await nurse.getByRole('button', { name: /Admit/ }).click();
  await guest.waitForSelector('#meeting:not([hidden])', { timeout: 15000 });
  log('guest admitted');
  await guest.close();

  // Back home: schedule a meeting for tomorrow, 09:00 to 10:30 in New York.
  await nurse.goto(`${base}/`);
  await nurse.waitForSelector('#home:not([hidden])');
  await nurse.click('#meeting-new');
  await nurse.waitForSelector('#meeting-dialog[open]');
  assert.match(await text(nurse, '#meeting-zone'), /America\/New_York/);
  const day = await nurse.evaluate(() => {
    const tomorrow = new Date(Date.now() + 86400000);
    const pad = (n) => String(n).padStart(2, '0');
    return `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
  });
  await nurse.fill('#meeting-title', 'Ward round, west wing');
  await nurse.fill('#meeting-start', `${day}T09:00`);
  await nurse.fill('#meeting-end', `${day}T10:30`);
  await nurse.fill('#meeting-pin', '2468');
  await nurse.fill('#moderator-search', 'hal');
  await waitFor('the colleague offered', async () =>
    (await nurse.locator('#moderator-options option').count()) > 0);
  await nurse.fill('#moderator-search', 'helper');
  await nurse.click('#moderator-add');
  await nurse.waitForSelector('#moderator-list li');
  await checkAccessibility(nurse, 'schedule a meeting');
  await screenshot(nurse, 'portal-5-schedule');
  await nurse.click('#meeting-save');
  await nurse.waitForSelector('#meeting-dialog', { state: 'hidden' });
  const listed = await waitFor('the meeting listed', async () => {
    const shown = await text(nurse, '#upcoming');
    return shown.includes('Ward round, west wing') ? shown : null;
  });
  log('listed:', listed.replace(/\n/g, ' | '));
  assert.match(listed, /Ward round, west wing/);
  assert.match(listed, /09:00 AM/, 'the start in her own time zone');
  assert.match(listed, /10:30 AM/, 'the end in her own time zone');
  const meeting = (await api(port, 'GET', '/api/v1/rooms', null, session)).body.rooms
    .find((r) => r.title === 'Ward round, west wing');
  assert.ok(meeting, 'the meeting is stored');
  // 09:00 in New York is 13:00 or 14:00 UTC (summer or winter time), never 09:00 UTC.
  const expectedStart = await nurse.evaluate((d) => new Date(`${d}T09:00`).toISOString().replace('.000Z', 'Z'), day);
  assert.equal(meeting.startsAt, expectedStart);
  assert.match(meeting.startsAt, /T1[34]:00:00Z$/);
  assert.deepEqual(meeting.moderators, ['helper']);
  assert.equal(meeting.pin, '2468');
  await checkAccessibility(nurse, 'home with a meeting');
  await screenshot(nurse, 'portal-6-meeting-listed');

  // The calendar file: served as text/calendar, read by a real iCalendar parser.
  const ics = await fetchBytes(port, `/api/v1/rooms/${meeting.id}/calendar.ics`, session);
  assert.equal(ics.status, 200);
  assert.match(ics.headers['content-type'], /^text\/calendar/);
  const icsFile = path.join(work, 'meeting.ics');
  writeFileSync(icsFile, ics.body);
  const parsed = run('/usr/bin/python3', ['-c', `
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
event = next(c for c in cal.walk() if c.name == 'VEVENT')
print('SUMMARY=' + str(event.get('summary')))
print('DTSTART=' + event.decoded('dtstart').strftime('%Y-%m-%dT%H:%M:%SZ'))
print('DTEND=' + event.decoded('dtend').strftime('%Y-%m-%dT%H:%M:%SZ'))
print('DESCRIPTION=' + str(event.get('description')).replace(chr(10), ' '))
print('URL=' + str(event.get('url')))
`, icsFile]);
  assert.equal(parsed.status, 0, parsed.output);
  log(parsed.output.trim().replace(/\n/g, ' | '));
  assert.match(parsed.output, /SUMMARY=Ward round, west wing/);
  assert.match(parsed.output, new RegExp(`DTSTART=${meeting.startsAt}`));
  assert.match(parsed.output, new RegExp(`DTEND=${meeting.endsAt}`));
  assert.ok(parsed.output.includes(`/join/${meeting.link}`), 'the join link is in the calendar file');
  assert.ok(parsed.output.includes(meeting.meetingId), 'the meeting ID is in the calendar file');
  assert.ok(parsed.output.includes('2468'), 'the PIN is in the calendar file');

  // The text invitation, to paste into mail.
  const item = nurse.locator('#upcoming li', { hasText: 'Ward round, west wing' });
  await item.getByRole('button', { name: /Invitation text/ }).click();
  await nurse.waitForSelector('#text-dialog[open]');
  const invitationText = await nurse.inputValue('#invitation-text');
  assert.ok(invitationText.includes(`/join/${meeting.link}`), 'the invitation holds the link');
  assert.ok(invitationText.includes('2468'), 'the invitation holds the PIN');
  await checkAccessibility(nurse, 'invitation text');
  await screenshot(nurse, 'portal-7-invitation-text');
  await nurse.click('#text-dialog-close');

  // A personal invitation: created, copied, used, seen, revoked; its holder is removed.
  await item.getByRole('button', { name: /Invitations/ }).click();
  await nurse.waitForSelector('#invitations-dialog[open]');
  await nurse.fill('#invitation-name', 'Dr. Visitor');
  await nurse.click('#invitation-create');
  await nurse.waitForSelector('#invitation-new:not([hidden])');
  await nurse.click('#invitation-copy');
  const invitationLink = await nurse.evaluate(() => navigator.clipboard.readText());
  assert.match(invitationLink, new RegExp(`^${base}/invite#`));
  await checkAccessibility(nurse, 'invitations');
  await screenshot(nurse, 'portal-8-invitation-created');

  const visitor = await browserPage(base, 'visitor');
  await visitor.goto(invitationLink);
  await visitor.waitForSelector('#meeting:not([hidden]), #prejoin:not([hidden]), #join:not([hidden])');
  if (await visitor.isVisible('#join-button')) await visitor.click('#join-button');
  await visitor.waitForSelector('#meeting:not([hidden])', { timeout: 15000 });
  // The list shows who has joined: reopen it.
  await nurse.click('#invitations-close');
  await item.getByRole('button', { name: /Invitations/ }).click();
  await waitFor('the visitor shown as present', async () => /In the meeting now/.test(await text(nurse, '#invitation-rows')));
  await screenshot(nurse, 'portal-9-invitation-in-use');
  await nurse.getByRole('button', { name: 'Revoke the invitation of Dr. Visitor' }).click();
  await waitFor('the invitation revoked', async () => /Revoked/.test(await text(nurse, '#invitation-rows')));
  await visitor.waitForSelector('#ended:not([hidden])', { timeout: 10000 });
  log('visitor removed:', await text(visitor, '#ended'));
  await nurse.click('#invitations-close');

  // Changing the meeting: a later start, shown in her time zone.
  await item.getByRole('button', { name: /Change/ }).click();
  await nurse.waitForSelector('#meeting-dialog[open]');
  assert.equal(await nurse.inputValue('#meeting-start'), `${day}T09:00`, 'the stored start, in her time zone');
  await nurse.fill('#meeting-start', `${day}T09:30`);
  await nurse.click('#meeting-save');
  await nurse.waitForSelector('#meeting-dialog', { state: 'hidden' });
  await waitFor('the changed time listed', async () => /09:30 AM/.test(await text(nurse, '#upcoming')));
  const changed = (await api(port, 'GET', `/api/v1/rooms/${meeting.id}`, null, session)).body;
  assert.equal(changed.startsAt, await nurse.evaluate((d) => new Date(`${d}T09:30`).toISOString().replace('.000Z', 'Z'), day));
  assert.deepEqual(changed.moderators, ['helper'], 'the co-moderator stays');

  // Password change (local accounts only), then sign out.
  await nurse.click('#change-password-open');
  await nurse.waitForSelector('#password-dialog[open]');
  await nurse.fill('#current-password', 'nurse-password');
  await nurse.fill('#new-password', 'nurse-password-2');
  await nurse.fill('#repeat-password', 'nurse-password-2');
  await checkAccessibility(nurse, 'change password');
  await nurse.click('#password-save');
  await nurse.waitForSelector('#password-dialog', { state: 'hidden' });
  assert.match(await text(nurse, '#home-status'), /password is changed/);
  await nurse.click('#sign-out');
  await nurse.waitForSelector('#sign-in:not([hidden])');
  assert.equal((await api(port, 'GET', '/api/v1/auth/session', null, session)).status, 401,
    'the old session ended with the password change');

  // A directory account signs in through the same form; no password change offered here.
  await signIn(nurse, 'bob', 'bob-password');
  await nurse.waitForSelector('#home:not([hidden])');
  assert.match(await text(nurse, '#signed-in-as'), /Signed in as/);
  assert.ok(!(await nurse.isVisible('#change-password-open')), 'directory accounts change passwords in the directory');
  await screenshot(nurse, 'portal-10-directory-user');

  // He joins the scheduled meeting with its ID and PIN, as himself.
  await nurse.fill('#join-meeting-id', meeting.meetingId.replace(/(\d{3})(?=\d)/g, '$1 '));
  await Promise.all([nurse.waitForURL(`${base}/meeting/${meeting.meetingId}`), nurse.click('#join-by-id-button')]);
  await nurse.waitForSelector('#joining-as:not([hidden])');
  assert.ok(!(await nurse.isVisible('#name')), 'a signed-in person is not asked for a name');
  await nurse.fill('#pin', '2468');
  await nurse.click('#join-button');
  await nurse.waitForSelector('#meeting:not([hidden])', { timeout: 15000 });
  log('joined by meeting ID');
  await nurse.goto(`${base}/`);
  await nurse.waitForSelector('#home:not([hidden])');

  // The recordings page is reached from the home page, and is accessible too.
  await Promise.all([nurse.waitForURL(`${base}/recordings`), nurse.click('#account-nav >> text=Recordings')]);
  await nurse.waitForSelector('#library:not([hidden])');
  await checkAccessibility(nurse, 'recordings');
  await screenshot(nurse, 'portal-11-recordings');
  await Promise.all([nurse.waitForURL(`${base}/`), nurse.click('text=Your meetings')]);
  await nurse.waitForSelector('#home:not([hidden])');

  // Sign-in failures a person can act on: the lockout says how long, a directory that does
  // not answer says so.
  await nurse.click('#sign-out');
  await nurse.waitForSelector('#sign-in:not([hidden])');
  await waitFor('the lockout message', async () => {
    await signIn(nurse, 'helper', 'a-wrong-guess');
    await waitFor('an answer', async () => !/Signing in/.test(await text(nurse, '#sign-in-error')));
    return /paused for \d+ seconds/.test(await text(nurse, '#sign-in-error'));
  });
  log('lockout:', await text(nurse, '#sign-in-error'));
  await screenshot(nurse, 'portal-12-locked-out');
  await slapd.stop();
  await signIn(nurse, 'bob', 'bob-password');
  await waitFor('the directory-down message', async () => /directory cannot be reached/.test(await text(nurse, '#sign-in-error')), 20000);
  await checkAccessibility(nurse, 'sign-in with an error');

  // The phone-sized home keeps everything reachable.
  await nurse.setViewportSize({ width: 390, height: 844 });
  await signIn(nurse, 'nurse', 'nurse-password-2');
  await nurse.waitForSelector('#home:not([hidden])');
  await checkAccessibility(nurse, 'home on a phone');
  await screenshot(nurse, 'portal-13-phone');

  // Deleting a meeting asks first; then it is gone.
  await nurse.setViewportSize({ width: 1280, height: 900 });
  await nurse.locator('#upcoming li', { hasText: 'Ward round, west wing' }).getByRole('button', { name: /Delete/ }).click();
  await nurse.waitForSelector('#confirm-dialog[open]');
  await nurse.click('#confirm-yes');
  await waitFor('the meeting gone from the list', async () => !/Ward round/.test(await text(nurse, '#upcoming')));
  assert.equal((await api(port, 'GET', `/api/v1/rooms/${meeting.id}`, null, admin)).status, 404);
}

runTest(main, () => rmSync(work, { recursive: true, force: true }));
