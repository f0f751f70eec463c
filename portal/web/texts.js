// Every text the meeting page shows, in one place, so that it can be translated. The HTML
// names its texts with data-text="key" (the element's text) and data-text-label="key" (its
// aria-label); the scripts use t("key", {placeholders}).
import { applyTexts as fillTexts } from './dom.js';

export const TEXTS = {
  pageTitle: 'Parley meeting',

  // Before joining
  joinTitle: 'Join the meeting',
  joinIntro: 'Check your camera and microphone, then join.',
  joiningAs: 'Joining as {name}',
  joiningInvited: 'You are invited to this meeting. Choose your camera and microphone, then join.',
  signInForMeetingId: 'To join with a meeting ID, sign in first on the home page, then enter the ID there.',
  nameLabel: 'Your name',
  pinLabel: 'Meeting PIN',
  pinHint: '(only if you were given one)',
  devicesLegend: 'Camera and microphone',
  cameraLabel: 'Camera',
  microphoneLabel: 'Microphone',
  cameraOn: 'Camera on',
  microphoneOn: 'Microphone on',
  micLevelLabel: 'Microphone level',
  micLevelSound: 'Sound is reaching your microphone.',
  micLevelSilent: 'No sound yet. Say something to test your microphone.',
  micLevelOff: 'Your microphone is off.',
  micLevelNone: 'No microphone.',
  previewLabel: 'Your camera preview',
  previewOff: 'Your camera is off',
  previewNone: 'No camera',
  noCamera: 'No camera found',
  noMicrophone: 'No microphone found',
  deviceName: '{kind} {number}',
  devicesStarting: 'Starting your camera and microphone…',
  devicesBlocked: 'This browser may not use your camera or microphone. Allow them in the browser\'s address bar and reload the page. You can still join to see and hear the others.',
  devicesMissing: 'No camera or microphone was found. You can still join to see and hear the others.',
  devicesInUse: 'Your camera or microphone is used by another program. Close it and choose the device again.',
  joinButton: 'Join meeting',
  joining: 'Joining…',
  nameRequired: 'Please type your name.',

  // Join refusals (docs/signaling.md)
  pin_required: 'This meeting needs a PIN. Type the PIN you were given.',
  pin_incorrect: 'The PIN is not correct. Check it and try again.',
  too_many_attempts: 'Too many wrong PINs. Wait a few minutes and try again.',
  invalid_link: 'This meeting link is not valid any more. Ask for a new link.',
  invalid_key: 'This invitation is not valid. Ask for a new invitation.',
  revoked_key: 'This invitation was withdrawn.',
  room_locked: 'The meeting is locked. Ask a moderator to unlock it.',
  meeting_ended: 'This meeting has ended.',
  guests_not_allowed: 'This meeting is for signed-in users only. Sign in first.',
  room_full: 'The meeting is full.',
  removed: 'You were removed from this meeting.',
  invalid_name: 'Your name can have up to 64 letters, digits and spaces.',
  cannotReach: 'The server cannot be reached. Check your network connection and try again.',

  // Lobby
  lobbyTitle: 'Waiting room',
  lobbyText: 'A moderator will let you in shortly. Please keep this page open.',

  // The meeting
  meetingTitle: 'Meeting',
  roomLocked: 'The meeting is locked: nobody new can join.',
  recording: 'Recording: this meeting is being recorded',
  videoRegion: 'Video',
  presentationRegion: 'Shared screen',
  participantsRegion: 'Participants',
  you: '{name} (you)',
  guest: 'guest',
  phone: 'phone (SIP)',
  moderator: 'moderator',
  handRaised: 'hand raised',
  muted: 'muted',
  mutedByModerator: 'muted by a moderator',
  speaking: 'speaking',
  reconnectingTile: 'Reconnecting…',
  screenOf: 'Screen of {name}',
  controlsRegion: 'Meeting controls',
  muteMicrophone: 'Mute microphone',
  unmuteMicrophone: 'Unmute microphone',
  stopCamera: 'Stop camera',
  startCamera: 'Start camera',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  raiseHand: 'Raise hand',
  lowerHand: 'Lower hand',
  leave: 'Leave',
  mutedByHostNotice: 'A moderator muted your microphone. You can speak again when a moderator allows it.',

  // Connection
  reconnecting: 'Connection lost. Reconnecting…',
  stillReconnecting: 'Still reconnecting. Check your network connection; you will rejoin automatically.',
  reconnected: 'Reconnected.',
  mediaBlocked: 'Your audio and video cannot reach the server. Your network may block the connection. Ask your IT team to allow UDP to {address}.',
  mediaBlockedNoAddress: 'Your audio and video cannot reach the server. Your network may block the connection. Ask your IT team to allow UDP to the meeting server.',
  mediaRetry: 'Try again',

  // Moderation
  moderationTitle: 'Moderation',
  lockRoom: 'Lock meeting',
  unlockRoom: 'Unlock meeting',
  startRecording: 'Start recording',
  stopRecording: 'Stop recording',
  endMeeting: 'End meeting for all',
  endConfirmTitle: 'End the meeting for everyone?',
  endConfirmText: 'Everyone, you included, leaves the meeting.',
  endConfirm: 'End meeting',
  cancel: 'Cancel',
  waitingTitle: 'Waiting to join',
  nobodyWaiting: 'Nobody is waiting.',
  participantsTitle: 'Participants',
  nobodyElse: 'Nobody else is here yet.',
  admit: 'Admit',
  deny: 'Deny',
  muteAudio: 'Mute audio',
  allowAudio: 'Allow audio',
  muteVideo: 'Mute video',
  allowVideo: 'Allow video',
  makeModerator: 'Make moderator',
  remove: 'Remove',
  recordingStopped: 'Recording stopped: {reason}',

  // The end
  leftTitle: 'You have left the meeting',
  notAdmittedTitle: 'You were not admitted',
  notAdmittedText: 'A moderator declined your request to join.',
  endedTitle: 'The meeting has ended',
  endedText: 'A moderator ended the meeting for everyone.',
  removedTitle: 'You were removed from the meeting',
  removedText: 'A moderator removed you.',
  revokedText: 'Your invitation was withdrawn.',
  closedTitle: 'The connection was closed',
  replacedText: 'You joined this meeting from another window or device.',
  rejoin: 'Join again',
};

/** The text for `key`, with {placeholders} filled from `values`. */
export function t(key, values = {}) {
  const text = TEXTS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

/** Fills the texts the HTML names (data-text, data-text-label) below `root`, as every page
 *  does (dom.js). */
export function applyTexts(root = document) {
  fillTexts(TEXTS, root);
  if (root === document) document.title = t('pageTitle');
}
