// TLS certificate: the one in use (names, issuer, dates, where it comes from, fingerprint),
// and a new chain and key uploaded from files, checked by the server and in service for new
// connections at once.
import { call } from './api.js';
import { $, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { date, dateTime } from './admin-format.js';

let wired = false;

function fill(tls) {
  $('tls-names').textContent = (tls.names ?? []).join(', ');
  $('tls-subject').textContent = tls.subject ?? '';
  $('tls-issuer').textContent = tls.issuer ?? '';
  $('tls-not-before').textContent = dateTime(tls.notBefore);
  $('tls-not-after').textContent = texts.tls.daysLeft(dateTime(tls.notAfter), tls.daysLeft);
  $('tls-source').textContent = tls.source === 'uploaded' ? texts.tls.uploaded : texts.tls.fromFile;
  $('tls-fingerprint').textContent = tls.fingerprintSha256 ?? '';
  const warnings = [];
  if (tls.daysLeft < 0) warnings.push(texts.tls.expired);
  else if (tls.expiresSoon) warnings.push(texts.tls.expiresSoon(tls.daysLeft));
  if (tls.coversPublicHost === false) warnings.push(texts.tls.notPublicHost(tls.publicHost));
  if (tls.selfSigned) warnings.push(texts.tls.selfSigned);
  $('tls-warnings').replaceChildren(...warnings.map((warning) => element('p', warning, 'warning')));
  $('tls-revert').hidden = tls.source !== 'uploaded';
}

async function onRevert() {
  const yes = await confirmAction({ title: texts.tls.revertTitle, text: texts.tls.revertText, confirm: texts.tls.revertConfirm });
  if (!yes) return;
  try {
    fill(await call('DELETE', '/api/v1/admin/tls'));
    say(texts.tls.reverted);
  } catch (error) {
    say(texts.tls.errors[error.code] ?? explain(error));
  }
}

async function onUpload(event) {
  event.preventDefault();
  const chain = $('tls-chain').files[0];
  const key = $('tls-key').files[0];
  $('tls-error').textContent = '';
  if (!chain || !key) {
    $('tls-error').textContent = texts.tls.needFiles;
    (chain ? $('tls-key') : $('tls-chain')).focus();
    return;
  }
  $('tls-upload').disabled = true;
  say(texts.tls.checking);
  try {
    const tls = await call('PUT', '/api/v1/admin/tls', { certificateChain: await chain.text(), privateKey: await key.text() });
    fill(tls);
    $('tls-form').reset();
    say(texts.tls.inService((tls.names ?? []).join(', '), date(tls.notAfter)));
  } catch (error) {
    // The server's own message follows the plain sentence: it names the certificate it means.
    const plain = texts.tls.errors[error.code];
    $('tls-error').textContent = plain ? `${plain} (${error.message})` : explain(error);
    say('');
  } finally {
    $('tls-upload').disabled = false;
  }
}

export async function show() {
  if (!wired) {
    wired = true;
    $('tls-form').addEventListener('submit', onUpload);
    $('tls-revert').addEventListener('click', onRevert);
  }
  try {
    fill(await call('GET', '/api/v1/admin/tls'));
  } catch (error) {
    say(explain(error));
  }
}
