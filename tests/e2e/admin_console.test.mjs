// End to end, the admin console at /admin as an IT administrator uses it: sign-in through the
// front door and back; a plain user told it is not for them; an auditor who sees the audit log
// only; a live meeting of two Chromium participants on the overview with media flowing, one
// of them removed (their page ends and their media stops), then the meeting ended; the PIN
// policy tightened and a room refusing a short PIN at once; a new TLS certificate uploaded
// from files and seen by a new TLS connection while the meeting's signaling stays connected;
// the audit log exported and the export checked; the directory test's steps and messages for
// a wrong-host certificate, an untrusted CA, a silent server and a user in no mapped group
// (against a real slapd, reached through a forwarder for the wrong host); axe-core and a screenshot on every section. Run by ctest:
//   node tests/e2e/admin_console.test.mjs <parleyd> <parleyctl>
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { FLAGS, api, checkAccessibility, cleanups, fakeCamera, fakeMicrophone, log, login, ownerRoom,
  participant as join, run, runTest, screenshot, signIn, sleep, startServer, testSettings, waitFor } from './harness.mjs';
import { startSlapd } from './slapd.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: admin_console.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-admin-'));
const dataDir = path.join(work, 'data');
const common = testSettings(dataDir);

async function browserPage(base, name, viewport = { width: 1280, height: 900 }) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', viewport, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') log(`[${name}]`, message.text()); });
  page.on('pageerror', (error) => { throw new Error(`[${name}] page error: ${error.message}`); });
  return page;
}

const text = (page, selector) => page.locator(selector).innerText();

/** Opens a section from the navigation and waits until it shows its data. */
async function open(page, section) {
  await page.click(`#sections-nav a[data-section="${section}"]`);
  await page.waitForSelector(`body[data-shown="${section}"]`);
  assert.equal(await page.locator(`#section-${section}`).isVisible(), true, `${section} shown`);
}

/** A screenshot from the top of the page (the section list and status line are sticky). */
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name);
}

/** axe-core and a screenshot of the section as it is now. */
async function look(page, name) {
  await checkAccessibility(page, `admin console: ${name}`);
  await shot(page, `admin-${name}`);
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
function servedFingerprint(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(createHash('sha256').update(certificate.raw).digest('hex'));
    });
    socket.on('error', reject);
  });
}

/** A CA and a certificate it signed for 127.0.0.1 and localhost, in `directory`. */
function newCertificate(directory) {
  const sh = (command) => {
    const result = run('sh', ['-c', command]);
    assert.equal(result.status, 0, `${command}: ${result.output}`);
  };
  const at = (name) => path.join(directory, name);
  sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=Console Test CA' -keyout ${at('ca.key')} -out ${at('ca.crt')}`);
  sh(`openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=parley.console.test' -keyout ${at('server.key')} -out ${at('server.csr')}`);
  writeFileSync(at('server.ext'), 'subjectAltName=DNS:parley.console.test,DNS:localhost,IP:127.0.0.1\n');
  sh(`openssl x509 -req -in ${at('server.csr')} -CA ${at('ca.crt')} -CAkey ${at('ca.key')} -CAcreateserial -days 20 -extfile ${at('server.ext')} -out ${at('server.crt')}`);
  writeFileSync(at('chain.pem'), readFileSync(at('server.crt'), 'utf8') + readFileSync(at('ca.crt'), 'utf8'));
  // The fingerprint is the SHA-256 of the certificate's DER bytes, the PEM's base64.
  const fingerprint = createHash('sha256').update(Buffer.from(readFileSync(at('server.crt'), 'utf8')
    .replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');
  return { chain: at('chain.pem'), key: at('server.key'), fingerprint };
}

/** Runs the directory test in the form with `fields` (input id → value) and a test user;
 *  resolves with the steps shown: [{step, ok, text}]. */
async function directoryTest(page, fields, testUser = '', testPassword = '') {
  await page.click('#sections-nav a[data-section="directory"]');
  await page.waitForSelector('body[data-shown="directory"]');
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
  await page.fill('#dir-test-user', testUser);
  await page.fill('#dir-test-password', testPassword);
  await page.click('#directory-test');
  await page.waitForFunction(() => document.querySelectorAll('#directory-steps li').length > 0
    && !document.getElementById('directory-test').disabled, null, { timeout: 30000 });
  return page.$$eval('#directory-steps li', (items) =>
    items.map((item) => ({ step: item.dataset.step, ok: item.dataset.ok === 'true', text: item.textContent })));
}

async function main() {
  const slapd = await startSlapd(path.join(work, 'slapd'));
  const { port } = await startServer(parleyd, parleyctl, [...common, ...slapd.settings], work);
  const base = `https://127.0.0.1:${port}`;
  const owner = await login(port, 'owner', 'owner-password');
  for (const [username, role] of [['nurse', 'user'], ['inspector', 'auditor']])
    assert.equal((await api(port, 'POST', '/api/v1/users', { username, password: `${username}-password`,
      displayName: username === 'nurse' ? 'Nora Nurse' : 'Ivy Inspector', role }, owner)).status, 201);

  // ---- Who may use the console ---------------------------------------------------------
  // Nobody signed in: the front door's sign-in, then back to the console.
  const admin = await browserPage(base, 'admin');
  await admin.goto(`${base}/admin`);
  await admin.waitForURL(/\/\?next=(%2F|\/)admin$/);
  await admin.waitForSelector('#sign-in:not([hidden])');
  await signIn(admin, 'owner', 'owner-password');
  await admin.waitForURL(`${base}/admin`);
  await admin.waitForSelector('body[data-shown="overview"]');
  log('signed in through the front door and back to the console');
  // No backup yet: the overview says so and how to set them up.
  await admin.waitForFunction(() => /No backup has been made yet/.test(document.getElementById('ov-backup').textContent));
  assert.match(await text(admin, '#ov-backup-detail'), /backup\.directory/);
  // A backup made with parleyctl (what parley-backup.service runs) shows at the next refresh.
  const backupKey = path.join(work, 'backup.key');
  const backups = path.join(work, 'backups');
  mkdirSync(backups);
  for (const args of [['backup', 'create-key', backupKey], [...common, 'backup', 'create', '--to', backups, '--key-file', backupKey]]) {
    const made = run(parleyctl, args);
    assert.equal(made.status, 0, made.output);
  }

  // A plain user is told, in words, that the console is not for them.
  const nurse = await browserPage(base, 'nurse');
  await nurse.goto(`${base}/`);
  await signIn(nurse, 'nurse', 'nurse-password');
  await nurse.waitForSelector('#home:not([hidden])');
  assert.equal(await nurse.isVisible('#admin-link'), false, 'no console link for a plain user');
  await nurse.goto(`${base}/admin`);
  await nurse.waitForSelector('#refused:not([hidden])');
  assert.match(await text(nurse, '#refused'), /only for administrators/);
  assert.equal(await nurse.isVisible('#sections-nav'), false);
  await checkAccessibility(nurse, 'admin console: refused to a plain user');
  await screenshot(nurse, 'admin-refused');
  await nurse.context().browser().close();

  // An auditor sees the audit log and nothing else, even when asking for another section.
  const auditor = await browserPage(base, 'auditor');
  await auditor.goto(`${base}/`);
  await signIn(auditor, 'inspector', 'inspector-password');
  await auditor.waitForSelector('#admin-link:not([hidden])');
  await screenshot(auditor, 'admin-front-door-link');
  await auditor.goto(`${base}/admin#users`);
  await auditor.waitForSelector('body[data-shown="audit"]');
  const auditorSections = await auditor.$$eval('#sections-nav li:not([hidden]) a', (links) => links.map((a) => a.dataset.section));
  assert.deepEqual(auditorSections, ['audit']);
  assert.equal(await auditor.isVisible('#section-users'), false);
  await checkAccessibility(auditor, 'admin console: the auditor\'s audit log');
  await screenshot(auditor, 'admin-auditor');
  await auditor.context().browser().close();

  // Keyboard: the skip link comes first and moves the focus to the content.
  await admin.keyboard.press('Tab');
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'skip-link');
  await admin.keyboard.press('Enter');
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'content');
  assert.equal(await admin.evaluate(() => window.location.hash), '', 'the skip link does not change the section');

  // ---- A live meeting: overview, people, remove one, (TLS swap below), end it -----------
  const { room } = await ownerRoom(port);
  const ada = await join({ name: 'Ada', video: fakeCamera(work, 'ada', 'green'), audio: fakeMicrophone(work, 'ada', 330),
    base, link: room.link });
  const bob = await join({ name: 'Bob', video: fakeCamera(work, 'bob', 'blue'), audio: fakeMicrophone(work, 'bob', 440),
    base, link: room.link });
  log('two participants in', room.title);

  await admin.waitForSelector('body[data-shown="overview"]');
  await waitFor('the overview shows the meeting with media flowing', async () =>
    (await text(admin, '#ov-live-meetings')) === '1' && (await text(admin, '#ov-participants')) === '2'
    && /[1-9]/.test(await text(admin, '#ov-media-in')) && /[1-9]/.test(await text(admin, '#ov-media-out')), 30000);
  assert.match(await text(admin, '#ov-backup'), /^Last backup /);
  assert.match(await text(admin, '#ov-backup-detail'), /\d MB\.$/);
  log('overview: media in', await text(admin, '#ov-media-in'), 'out', await text(admin, '#ov-media-out'));
  assert.match(await text(admin, '#overview-updated'), /refreshes every 5 seconds/);
  await look(admin, '01-overview');

  // Open the meeting from the overview: both people, each with a bit rate.
  await admin.click('#ov-meeting-list a');
  await admin.waitForSelector('body[data-shown="meetings"]');
  await waitFor('both people with their rates', async () => {
    const rows = await admin.$$eval('#people-rows tr', (all) => all.map((row) => row.textContent));
    return rows.length === 2 && rows.every((row) => /[1-9][\d.,]* Mbit\/s|0\.0[1-9] Mbit\/s|0\.[1-9]\d Mbit\/s/.test(row));
  }, 20000);
  await look(admin, '02-live-meeting');

  // Remove Bob: his page says so and his media stops; Ada stays.
  await admin.click(`#people-rows tr[data-participant="${bob.id}"] button`);
  await admin.waitForSelector('#confirm-dialog[open]');
  await checkAccessibility(admin, 'admin console: confirm removing a person');
  await admin.click('#confirm-yes');
  await bob.page.waitForFunction(() => window.parleyMeeting.phase() === 'ended', null, { timeout: 10000 });
  assert.match(await text(bob.page, '#ended-title'), /removed/);
  assert.notEqual(await bob.page.evaluate(() => window.parleyMeeting.mediaState()), 'connected', 'Bob\'s media is closed');
  await waitFor('Bob gone from the list', async () =>
    (await admin.locator(`#people-rows tr[data-participant="${bob.id}"]`).count()) === 0, 15000);
  const fromBob = async () => (await ada.page.evaluate(() => window.parleyMeeting.inbound()))
    .filter((entry) => entry.publisherId === bob.id).reduce((sum, entry) => sum + entry.packetsReceived, 0);
  const before = await fromBob();
  await sleep(2000);
  assert.equal(await fromBob(), before, 'Ada receives nothing more from Bob');
  assert.match(await text(admin, '#status'), /Bob was removed/);
  log('Bob removed');

  // ---- TLS certificate: a new one in service; the meeting's signaling stays -------------
  await open(admin, 'tls');
  const oldFingerprint = await servedFingerprint(port);
  await look(admin, '03-tls-before');
  const certificate = newCertificate(mkdtempSync(path.join(work, 'tls-')));
  await admin.setInputFiles('#tls-chain', certificate.chain);
  await admin.setInputFiles('#tls-key', certificate.key);
  await admin.click('#tls-upload');
  await waitFor('the new certificate shown', async () => /parley\.console\.test/.test(await text(admin, '#tls-names')));
  const shownFingerprint = (await text(admin, '#tls-fingerprint')).replace(/[^0-9a-f]/gi, '').toLowerCase();
  assert.equal(shownFingerprint, certificate.fingerprint);
  assert.equal(await servedFingerprint(port), certificate.fingerprint, 'a new TLS connection sees the new certificate');
  assert.notEqual(certificate.fingerprint, oldFingerprint);
  assert.equal(await ada.page.evaluate(() => window.parleyMeeting.phase()), 'meeting');
  assert.equal(await ada.page.evaluate(() => window.parleyMeeting.reconnects()), 0, 'the signaling connection was not dropped');
  await look(admin, '04-tls-after');
  log('certificate swapped; Ada still connected');

  // End the meeting from the console: Ada's page says it ended.
  await admin.goto(`${base}/admin#meetings/${room.id}`);
  await admin.waitForSelector('body[data-shown="meetings"]');
  await admin.waitForSelector(`#people-rows tr[data-participant="${ada.id}"]`);
  await admin.click('#meeting-end');
  await admin.waitForSelector('#confirm-dialog[open]');
  await admin.click('#confirm-yes');
  await ada.page.waitForFunction(() => window.parleyMeeting.phase() === 'ended', null, { timeout: 10000 });
  assert.match(await text(ada.page, '#ended-title'), /ended/i);
  await admin.waitForSelector('#meetings-list-view:not([hidden])');
  await waitFor('no live meeting listed', async () => !(await admin.isVisible('#meetings-table')));
  await look(admin, '05-live-meetings-none');
  log('meeting ended');

  // ---- PIN policy: at least 6 digits, and a room refuses a 4-digit PIN at once -----------
  await open(admin, 'settings');
  await look(admin, '06-settings');
  await admin.fill('#set-pinMinLength', '6');
  if (Number(await admin.inputValue('#set-pinMaxLength')) < 6) await admin.fill('#set-pinMaxLength', '12');
  await admin.click('#settings-save');
  await waitFor('the settings saved', async () => /saved/.test(await text(admin, '#status')));
  assert.match(await text(admin, '.setting[data-key="pinMinLength"] .source'), /Saved here/);

  await open(admin, 'rooms');
  await admin.fill('#rooms-q', 'owner');
  await admin.click('#rooms-search button[type="submit"]');
  await admin.waitForSelector(`#rooms-rows tr[data-room="${room.id}"]`);
  await look(admin, '07-rooms');
  await admin.click(`#rooms-rows tr[data-room="${room.id}"] button`);
  await admin.waitForSelector('#room-dialog[open]');
  await admin.fill('#room-pin', '1234');
  await admin.click('#room-save');
  await waitFor('the short PIN refused', async () => (await text(admin, '#room-error')).length > 0);
  log('short PIN:', await text(admin, '#room-error'));
  assert.match(await text(admin, '#room-error'), /6/);
  await checkAccessibility(admin, 'admin console: a PIN refused by the policy');
  await shot(admin, 'admin-08-pin-refused');
  await admin.fill('#room-pin', '123456');
  await admin.click('#room-save');
  await admin.waitForSelector('#room-dialog', { state: 'hidden' });
  assert.equal((await api(port, 'GET', `/api/v1/rooms/${room.id}`, null, owner)).body.pin, '123456');

  // ---- Users: find, add, a new password shown once -------------------------------------
  // By keyboard: Enter on the section's link shows it and puts the focus on its heading.
  await admin.focus('#sections-nav a[data-section="users"]');
  await admin.keyboard.press('Enter');
  await admin.waitForSelector('body[data-shown="users"]');
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'users-title');
  await admin.fill('#users-q', 'nora');
  await admin.click('#users-search button[type="submit"]');
  await waitFor('only Nora listed', async () => (await admin.$$eval('#users-rows tr', (rows) => rows.map((r) => r.dataset.user)))
    .join() === 'nurse');
  await admin.fill('#users-q', '');
  await admin.click('#user-new');
  await admin.waitForSelector('#user-dialog[open]');
  await admin.fill('#user-username', 'porter');
  await admin.fill('#user-password', 'porter-password');
  await admin.fill('#user-display-name', 'Pat Porter');
  await checkAccessibility(admin, 'admin console: add a user');
  await admin.click('#user-save');
  await admin.waitForSelector('#users-rows tr[data-user="porter"]');
  await admin.click('#users-rows tr[data-user="porter"] button:has-text("New password")');
  await admin.click('#confirm-yes');
  await admin.waitForSelector('#password-dialog[open]');
  const generated = await admin.inputValue('#new-password');
  assert.ok(generated.length >= 8, 'a generated password is shown');
  await look(admin, '09-users-new-password');
  await admin.click('#password-dialog-close');
  assert.equal((await api(port, 'POST', '/api/v1/auth/login', { username: 'porter', password: generated })).status, 200);
  await look(admin, '10-users');

  // ---- Recordings and the recording volume ---------------------------------------------
  await open(admin, 'recordings');
  await look(admin, '11-recordings');
  await open(admin, 'volume');
  await look(admin, '12-volume');
  // SIP is off on this server: the section says how to turn it on and adds no device.
  await open(admin, 'sip');
  assert.match(await text(admin, '#sip-state'), /sip\.enabled = true/);
  assert.equal(await admin.isDisabled('#sip-new'), true);
  assert.equal(await admin.isVisible('#sip-empty'), true);
  await look(admin, '12-sip-off');

  // ---- Audit log: filter, verify, export, check the export -----------------------------
  await open(admin, 'audit');
  await admin.fill('#audit-action', 'participant.');
  await admin.click('#audit-apply');
  await waitFor('the removal in the log', async () => /participant\.kick/.test(await text(admin, '#audit-rows')));
  await admin.fill('#audit-action', '');
  await admin.click('#audit-apply');
  await admin.click('#audit-verify');
  await waitFor('the chain checked', async () => /intact/.test(await text(admin, '#audit-verify-result')));
  await look(admin, '13-audit');
  for (const format of ['jsonl', 'csv']) {
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click(`#audit-export-${format}`)]);
    const file = path.join(work, `audit.${format}`);
    await download.saveAs(file);
    await admin.setInputFiles('#audit-check-file', file);
    await admin.click('#audit-check');
    await waitFor(`the ${format} export checked`, async () => /intact|altered|not/i.test(await text(admin, '#audit-check-result')));
    const result = await text(admin, '#audit-check-result');
    log(`${format} export:`, result);
    assert.match(result, /The file is intact/);
    assert.match(result, /matches this server/);
  }
  await shot(admin, 'admin-14-audit-export-checked');

  // ---- Directory: the test's steps for what goes wrong with real directories --------------
  await open(admin, 'directory');
  let steps = await directoryTest(admin, {}, 'alice', 'alice-password');
  assert.ok(steps.every((step) => step.ok), `every step works for alice: ${JSON.stringify(steps)}`);
  await look(admin, '15-directory');

  // A user in none of the mapped groups: the bind works, the groups step says why not.
  steps = await directoryTest(admin, {}, 'dave', 'dave-password');
  log('dave:', JSON.stringify(steps));
  assert.deepEqual(steps.filter((step) => !step.ok).map((step) => step.step), ['groups']);
  assert.ok(steps.find((step) => step.step === 'user_bind').ok, 'dave\'s bind works');
  await shot(admin, 'admin-16-directory-no-group');

  // A CA that did not sign the server's certificate.
  const otherCa = mkdtempSync(path.join(work, 'other-ca-'));
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=Some Other CA', '-keyout', path.join(otherCa, 'ca.key'), '-out', path.join(otherCa, 'ca.crt')]);
  steps = await directoryTest(admin, { 'dir-ca-file': path.join(otherCa, 'ca.crt') });
  log('untrusted CA:', JSON.stringify(steps));
  const untrusted = steps.find((step) => !step.ok);
  assert.equal(untrusted?.step, 'tls');
  assert.match(untrusted.text, /trust|issuer|CA/i);
  assert.doesNotMatch(untrusted.text, /unknown error code/);
  await shot(admin, 'admin-17-directory-untrusted-ca');

  // A server that accepts the connection and never answers.
  const silent = net.createServer(() => {});
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => silent.close());
  steps = await directoryTest(admin, { 'dir-ca-file': path.join(work, 'slapd', 'ca.crt'),
    'dir-uris': `ldap://127.0.0.1:${silent.address().port}` });
  log('silent server:', JSON.stringify(steps));
  const silentStep = steps.find((step) => !step.ok);
  assert.match(silentStep.text, /did not answer|no answer|not answer/i);
  assert.doesNotMatch(silentStep.text, /ca_file|CA/);
  await shot(admin, 'admin-18-directory-silent');

  // A certificate that does not name the host: slapd's certificate names localhost and
  // 127.0.0.1; reached as 127.0.0.2 (a plain TCP forwarder), the name does not match.
  const slapdPort = Number(new URL(slapd.settings.find((value) => value.startsWith('ldap.uris='))
    .slice('ldap.uris='.length)).port);
  const forwarder = net.createServer((client) => {
    const upstream = net.connect(slapdPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => forwarder.listen(0, '127.0.0.2', resolve));
  cleanups.push(() => forwarder.close());
  steps = await directoryTest(admin, { 'dir-ca-file': path.join(work, 'slapd', 'ca.crt'),
    'dir-uris': `ldap://127.0.0.2:${forwarder.address().port}` });
  log('wrong host:', JSON.stringify(steps));
  const wrongHost = steps.find((step) => !step.ok);
  assert.equal(wrongHost?.step, 'tls');
  assert.match(wrongHost.text, /name|host/i);
  assert.match(wrongHost.text, /127\.0\.0\.2/);
  assert.doesNotMatch(wrongHost.text, /unknown error code/);
  await shot(admin, 'admin-19-directory-wrong-host');
}

runTest(main, () => rmSync(work, { recursive: true, force: true }));
