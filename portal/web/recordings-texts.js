// Every sentence the recordings page (recordings.html and recordings.js) shows, in one place,
// so that it can be translated. The HTML names its texts by path: data-text="page.signIn.title"
// (the element's text), data-text-label="…" (its aria-label); recordings.js fills them in once
// at start (applyTexts in dom.js), and takes its messages from here too. Words the server
// sends (its error messages, a composition's error, an integrity result) are shown as it sends
// them, inside these sentences.
export const texts = {
  // The page's own texts: navigation, headings, labels, hints, buttons, the table, the dialog.
  page: {
    title: 'Parley recordings',
    nav: {
      label: 'Parley',
      home: 'Your meetings',
    },
    signIn: {
      title: 'Sign in to see recordings',
      username: 'User name',
      password: 'Password',
      submit: 'Sign in',
    },
    library: {
      title: 'Recordings',
      audited: 'Every playback, download, export, share and deletion is recorded in the audit log.',
      caption: 'Recordings you may see, newest first',
      meetingColumn: 'Meeting',
      startedColumn: 'Started',
      lengthColumn: 'Length',
      sizeColumn: 'Size',
      stateColumn: 'State',
      actionsColumn: 'Actions',
      empty: 'No recordings yet.',
    },
    player: {
      title: 'Playing',
    },
    share: {
      title: 'Share the recording',
      username: 'User name of the person to share it with',
      submit: 'Share',
      cancel: 'Cancel',
    },
  },

  // The script's messages.
  signIn: {
    wrong: 'The user name or password is wrong.',
  },
  // A recording's state, in the table's State column.
  state: {
    recording: 'Recording',
    preparing: (percent) => `Preparing (${percent} %)`,
    failed: (error) => `Not playable: ${error ?? 'composition failed'}`,
    damaged: (result) => `Damaged (${result})`,
    readyChecked: 'Ready, checked',
    ready: 'Ready',
  },
  // A recording's size, in the Size column.
  megabytes: (amount) => `${amount} MB`,
  // The buttons and link of a row, with the accessible names that say which recording.
  actions: {
    play: 'Play',
    playLabel: (title) => `Play ${title}`,
    download: 'Download',
    downloadLabel: (title) => `Download ${title}`,
    share: 'Share',
    shareLabel: (title) => `Share ${title}`,
    check: 'Check',
    checkLabel: (title) => `Check the integrity of ${title}`,
    delete: 'Delete',
    deleteLabel: (title) => `Delete ${title}`,
    export: 'Export',
    exportLabel: (title) => `Export ${title} with its signed list of files, for a record`,
    playTracks: 'Play now',
    playTracksLabel: (title) => `Play now: ${title}, its tracks side by side while its single file is prepared`,
  },
  progressLabel: (title) => `How far the playable file of ${title} is`,
  // The player of the separate tracks, used until the single file is ready.
  trackPlayer: {
    note: (percent) => `The single playable file is being prepared (${percent} %). Until it is ready, `
      + 'each person\'s camera and sound play here side by side, in step.',
    play: 'Play',
    pause: 'Pause',
    position: 'Position in the recording',
    at: (now, length) => `${now} of ${length}`,
    someone: 'A participant',
    screenOf: (name) => `Screen of ${name}`,
    ready: 'The single playable file is ready and plays on from the same place.',
  },
  playing: (title) => `Playing: ${title}`,
  check: {
    intact: (title) => `${title}: the file is intact.`,
    result: (title, result) => `${title}: the file is ${result}.`,
  },
  remove: {
    confirm: (title) => `Delete the recording of ${title}? This cannot be undone.`,
    done: (title) => `Deleted the recording of ${title}.`,
  },
  shared: (title, username) => `Shared ${title} with ${username}.`,
  errors: {
    status: (status) => `the server answered ${status}`,
  },
};
