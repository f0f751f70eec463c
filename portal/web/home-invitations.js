// Personal invitations of a room: create a named key and copy its link (shown once), see
// who joined with it, revoke it.
import { call } from './api.js';
import { $, button, element, localDateTime } from './dom.js';
import { copyAndSay, explain, say } from './portal.js';
import { texts } from './portal-texts.js';

let room = null;

/** The link an invitation key is used with. The key travels in the fragment, which the
 *  browser never sends to the server: it stays out of logs and Referer headers. */
export const invitationLink = (key) => new URL(`/invite#${key}`, window.location.origin).href;

function joinedText(invitation) {
  if (invitation.present) return texts.invitations.present;
  if (!invitation.joins) return texts.invitations.never;
  return texts.invitations.joined(invitation.joins, invitation.lastJoinedAt ? localDateTime(invitation.lastJoinedAt) : '');
}

async function load() {
  const { invitations } = await call('GET', `/api/v1/rooms/${room.id}/invitations`);
  const rows = $('invitation-rows');
  rows.replaceChildren();
  for (const invitation of invitations) {
    const row = document.createElement('tr');
    row.append(element('td', invitation.name), element('td', localDateTime(invitation.createdAt)),
      element('td', joinedText(invitation)),
      element('td', invitation.revoked ? texts.invitations.revoked : texts.invitations.active));
    const actions = element('td');
    if (!invitation.revoked)
      actions.append(button(texts.invitations.revoke, () => revoke(invitation),
        { className: 'danger', accessibleName: texts.invitations.revokeLabel(invitation.name) }));
    row.append(actions);
    rows.append(row);
  }
}

async function revoke(invitation) {
  try {
    await call('DELETE', `/api/v1/rooms/${room.id}/invitations/${invitation.id}`);
    $('invitations-error').textContent = '';
    say(texts.invitations.revokedFor(invitation.name));
    await load();
    $('invitation-name').focus();
  } catch (error) {
    $('invitations-error').textContent = explain(error);
  }
}

async function create(event) {
  event.preventDefault();
  const name = $('invitation-name').value.trim();
  if (!name) {
    $('invitations-error').textContent = texts.invitations.needName;
    $('invitation-name').focus();
    return;
  }
  try {
    const issued = await call('POST', `/api/v1/rooms/${room.id}/invitations`, { name });
    $('invitation-link').value = invitationLink(issued.key);
    $('invitation-new').hidden = false;
    $('invitations-error').textContent = '';
    $('invitation-name').value = '';
    say(texts.invitations.created(name));
    await load();
    $('invitation-copy').focus();
  } catch (error) {
    $('invitations-error').textContent = explain(error);
  }
}

export async function openInvitations(forRoom) {
  room = forRoom;
  $('invitations-title').textContent = texts.invitations.title(forRoom.title);
  $('invitation-new').hidden = true;
  $('invitation-link').value = '';
  $('invitations-error').textContent = '';
  $('invitations-dialog').showModal();
  $('invitation-name').focus();
  try {
    await load();
  } catch (error) {
    $('invitations-error').textContent = explain(error);
  }
}

export function initInvitations() {
  $('invitation-form').addEventListener('submit', create);
  $('invitation-copy').addEventListener('click', async () => {
    await copyAndSay($('invitation-link').value, $('invitation-link'));
  });
  $('invitations-close').addEventListener('click', () => $('invitations-dialog').close());
}
