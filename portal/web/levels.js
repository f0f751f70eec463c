// Sound levels: the microphone meter before joining (WebAudio AnalyserNode) and the active
// speaker in the meeting (audio levels from the peer connection's statistics).

let context = null;

/** The page's one AudioContext. Browsers start it suspended until the person interacts
 *  with the page, so it is resumed on the first click or key press. */
function audioContext() {
  if (!context) {
    context = new AudioContext();
    const resume = () => context.resume().catch(() => {});
    for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, resume, { capture: true });
  }
  return context;
}

/** Measures a microphone track: calls onLevel(0..1) ten times a second. */
export class LevelMeter {
  #source;
  #analyser;
  #timer;

  constructor(track, onLevel) {
    const audio = audioContext();
    audio.resume().catch(() => {});
    this.#source = audio.createMediaStreamSource(new MediaStream([track]));
    this.#analyser = audio.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#source.connect(this.#analyser);
    const samples = new Float32Array(this.#analyser.fftSize);
    this.#timer = setInterval(() => {
      this.#analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const rms = Math.sqrt(sum / samples.length);
      // Speech at a normal distance is around -30 dBFS: map -60..0 dBFS to 0..1.
      const decibels = 20 * Math.log10(Math.max(rms, 1e-6));
      onLevel(Math.min(1, Math.max(0, (decibels + 60) / 60)));
    }, 100);
  }

  stop() {
    clearInterval(this.#timer);
    this.#source.disconnect();
  }
}

const SPEAKING_LEVEL = 0.02;   // audioLevel (0..1, linear) above which someone is speaking
const SAMPLE_MS = 250;
const SWITCH_AFTER = 3;        // samples someone must be loudest before the highlight moves
const SILENT_AFTER_MS = 1500;  // the highlight goes after this long without speech

/** Decides who speaks from audio levels, slowly enough not to flicker: the loudest speaker
 *  must stay loudest for SWITCH_AFTER samples to take the highlight, which stays until
 *  someone else does or SILENT_AFTER_MS of silence. */
export class ActiveSpeaker {
  #levels;
  #onChange;
  #timer;
  #current = null;
  #candidate = null;
  #candidateCount = 0;
  #lastHeard = 0;

  /** `levels()` resolves with a Map of participant id -> audio level (0..1). */
  constructor(levels, onChange) {
    this.#levels = levels;
    this.#onChange = onChange;
    this.#timer = setInterval(() => this.#sample().catch(() => {}), SAMPLE_MS);
  }

  get current() { return this.#current; }

  async #sample() {
    const levels = await this.#levels();
    let loudest = null;
    let loudestLevel = SPEAKING_LEVEL;
    for (const [id, level] of levels) {
      if (level > loudestLevel) {
        loudest = id;
        loudestLevel = level;
      }
    }
    const now = Date.now();
    if (loudest === null) {
      this.#candidate = null;
      this.#candidateCount = 0;
      if (this.#current !== null && now - this.#lastHeard > SILENT_AFTER_MS) this.#set(null);
      return;
    }
    if (loudest === this.#current) {
      this.#lastHeard = now;
      this.#candidate = null;
      this.#candidateCount = 0;
      return;
    }
    if (loudest === this.#candidate) this.#candidateCount += 1;
    else {
      this.#candidate = loudest;
      this.#candidateCount = 1;
    }
    if (this.#candidateCount >= SWITCH_AFTER || (this.#current === null && this.#candidateCount >= 2)) {
      this.#lastHeard = now;
      this.#candidate = null;
      this.#candidateCount = 0;
      this.#set(loudest);
    }
  }

  #set(id) {
    if (id === this.#current) return;
    const previous = this.#current;
    this.#current = id;
    this.#onChange(id, previous);
  }

  stop() {
    clearInterval(this.#timer);
  }
}
