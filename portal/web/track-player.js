// Plays a recording's track files side by side, in step, while its single playable file is
// still being made: one muted <video> per camera or screen (with the person's name), one
// <audio> per microphone, all following one clock with one set of controls. Every track
// file already carries its times on the recording's timeline (or starts at its first frame,
// whichever the browser reports: both are handled), so each element is only told where the
// clock is. All texts come from the caller.

// A track further than this from the clock is moved to it (seconds).
const DRIFT = 0.25;
// An element that has this much ahead of its position plays on (HAVE_FUTURE_DATA).
const PLAYABLE = 3;
// How often the clock steers the elements (milliseconds).
const STEP = 200;

const element = (tag, className) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
};

const clockText = (seconds) => {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
};

export class TrackPlayer {
  /** `tracks` as the API lists them (mediaUrl, label, firstMs, lastMs, displayName);
   *  `texts` the player's words (see recordings-texts.js, trackPlayer). */
  constructor(container, recording, texts) {
    this.texts = texts;
    this.recordingId = recording.id;
    this.position = 0;
    this.playing = false;
    this.length = Math.max(0, ...recording.tracks.map((track) => track.lastMs)) / 1000 + 0.5;
    this.tracks = [];
    const tiles = element('div', 'track-tiles');
    const sounds = element('div');
    sounds.hidden = true;
    for (const track of recording.tracks.filter((t) => t.mediaUrl && !t.file.endsWith('.mkv'))) {
      const audio = track.label === 'audio';
      const media = element(audio ? 'audio' : 'video');
      media.preload = 'auto';
      media.src = track.mediaUrl;
      media.dataset.file = track.file;
      const entry = { track, media, first: track.firstMs / 1000, last: track.lastMs / 1000, offset: null };
      media.addEventListener('loadedmetadata', () => {
        // Times on the recording's timeline, or from the track's own start?
        const d = media.duration;
        entry.offset = Number.isFinite(d) && Math.abs(d - entry.last) > Math.abs(d - (entry.last - entry.first))
          ? entry.first : 0;
      });
      if (audio) {
        sounds.append(media);
      } else {
        media.muted = true; // its sound is the microphone track's
        media.playsInline = true;
        const tile = element('figure', 'track-tile');
        const caption = element('figcaption');
        const who = track.displayName || texts.someone;
        caption.textContent = track.label === 'screen' ? texts.screenOf(who) : who;
        media.setAttribute('aria-label', caption.textContent);
        tile.append(media, caption);
        entry.tile = tile;
        tiles.append(tile);
      }
      this.tracks.push(entry);
    }
    const controls = element('div', 'track-controls');
    this.button = element('button', 'primary');
    this.button.type = 'button';
    this.button.textContent = texts.play;
    this.button.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    this.slider = element('input');
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = String(Math.ceil(this.length));
    this.slider.step = '1';
    this.slider.value = '0';
    this.slider.setAttribute('aria-label', texts.position);
    this.slider.addEventListener('input', () => this.seek(Number(this.slider.value)));
    this.time = element('span', 'track-time');
    controls.append(this.button, this.slider, this.time);
    container.replaceChildren(tiles, sounds, controls);
    this.showTime();
    this.timer = setInterval(() => this.steer(), STEP);
  }

  play() {
    if (this.position >= this.length) this.position = 0;
    this.playing = true;
    this.startedAt = performance.now() - this.position * 1000;
    this.button.textContent = this.texts.pause;
    this.steer();
  }

  pause() {
    this.playing = false;
    this.button.textContent = this.texts.play;
    for (const entry of this.tracks) entry.media.pause();
  }

  seek(seconds) {
    this.position = Math.min(Math.max(0, seconds), this.length);
    if (this.playing) this.startedAt = performance.now() - this.position * 1000;
    this.steer(true);
  }

  inside(entry) {
    return this.position >= entry.first && this.position <= entry.last + 0.5;
  }

  /** Puts every element where the clock is: playing inside its span, paused outside. The
   *  clock waits while a track it needs is still loading or seeking, so a slow link makes
   *  the playback pause rather than drift apart (or seek again and again). */
  steer(force = false) {
    if (this.playing) {
      const now = performance.now();
      const waiting = this.tracks.some((entry) => this.inside(entry) && entry.offset !== null && !entry.media.error
        && (entry.media.seeking || entry.media.readyState < PLAYABLE));
      if (waiting) this.startedAt = now - this.position * 1000;
      else this.position = (now - this.startedAt) / 1000;
      if (this.position >= this.length) {
        this.position = this.length;
        this.pause();
      }
    }
    for (const entry of this.tracks) {
      const { media } = entry;
      const inside = this.inside(entry);
      if (entry.tile) entry.tile.classList.toggle('track-absent', !inside);
      if (!inside || entry.offset === null) {
        if (!media.paused) media.pause();
        continue;
      }
      const local = this.position - entry.offset;
      if (!media.seeking && (force || Math.abs(media.currentTime - local) > DRIFT)) media.currentTime = local;
      if (this.playing && media.paused) media.play().catch(() => {});
      if (!this.playing && !media.paused) media.pause();
    }
    this.showTime();
  }

  showTime() {
    this.slider.value = String(Math.floor(this.position));
    this.slider.setAttribute('aria-valuetext', this.texts.at(clockText(this.position), clockText(this.length)));
    this.time.textContent = `${clockText(this.position)} / ${clockText(this.length)}`;
  }

  /** Stops and lets go of every element (another recording is played). */
  close() {
    clearInterval(this.timer);
    for (const entry of this.tracks) {
      entry.media.pause();
      entry.media.removeAttribute('src');
      entry.media.load();
    }
  }
}
