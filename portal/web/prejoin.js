// The screen before joining: which camera and microphone, a live preview of the camera, the
// microphone's level, and whether to join with the camera or microphone off.
import { t } from './texts.js';
import { LevelMeter } from './levels.js';
import { $ } from './dom.js';

// 720p where the camera has it: enough for the three simulcast layers (the browser sends
// fewer for smaller pictures), of which each subscriber gets what fits.
export const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 } };

/** Why the browser refused a device, in words for the person. */
function deviceProblem(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') return t('devicesBlocked');
  if (error?.name === 'NotReadableError' || error?.name === 'AbortError') return t('devicesInUse');
  return t('devicesMissing');
}

export class PreJoin {
  /** The chosen tracks: `video` is null when the camera is off or missing; `audio` is null
   *  when there is no microphone (it is disabled, not null, when the microphone is off). */
  video = null;
  audio = null;
  #meter = null;
  #loudest = 0;
  #textTimer = null;
  #problem = '';

  get cameraOn() { return $('camera-on').checked; }
  get microphoneOn() { return $('mic-on').checked; }
  get cameraId() { return $('camera').value || undefined; }
  get microphoneId() { return $('microphone').value || undefined; }

  /** Asks for the camera and microphone and fills the screen; never throws. */
  async start() {
    $('device-message').textContent = t('devicesStarting');
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: VIDEO_CONSTRAINTS });
    } catch (error) {
      // One of the two may still work.
      this.#problem = deviceProblem(error);
      for (const constraints of [{ audio: true }, { video: VIDEO_CONSTRAINTS }]) {
        try {
          const partial = await navigator.mediaDevices.getUserMedia(constraints);
          stream ??= new MediaStream();
          for (const track of partial.getTracks()) stream.addTrack(track);
        } catch { /* that one does not work either */ }
      }
    }
    this.video = stream?.getVideoTracks()[0] ?? null;
    this.audio = stream?.getAudioTracks()[0] ?? null;
    await this.#fillDevices();
    navigator.mediaDevices.addEventListener?.('devicechange', () => this.#fillDevices());
    this.#showPreview();
    this.#startMeter();
    $('device-message').textContent = this.#problem && (!this.video || !this.audio) ? this.#problem : '';

    $('camera').addEventListener('change', () => this.#switchCamera());
    $('microphone').addEventListener('change', () => this.#switchMicrophone());
    $('camera-on').addEventListener('change', () => this.#switchCamera());
    $('mic-on').addEventListener('change', () => {
      if (this.audio) this.audio.enabled = this.microphoneOn;
      this.#showLevelText();
    });
    this.#textTimer = setInterval(() => this.#showLevelText(), 1000);
  }

  /** The screen is done: the tracks go to the meeting, the meter stops. */
  finish() {
    this.#meter?.stop();
    this.#meter = null;
    clearInterval(this.#textTimer);
    $('preview').srcObject = null;
  }

  async #fillDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch { /* none listed */ }
    this.#fillSelect($('camera'), devices.filter((d) => d.kind === 'videoinput'), this.video, 'cameraLabel', 'noCamera');
    this.#fillSelect($('microphone'), devices.filter((d) => d.kind === 'audioinput'), this.audio, 'microphoneLabel', 'noMicrophone');
  }

  #fillSelect(select, devices, track, kindKey, noneKey) {
    const current = track?.getSettings().deviceId ?? select.value;
    const options = devices.filter((d) => d.deviceId).map((device, index) => {
      const option = document.createElement('option');
      option.value = device.deviceId;
      option.textContent = device.label || t('deviceName', { kind: t(kindKey), number: index + 1 });
      return option;
    });
    if (options.length === 0) {
      const option = document.createElement('option');
      option.value = '';
      option.textContent = t(noneKey);
      options.push(option);
    }
    select.replaceChildren(...options);
    if (options.some((o) => o.value === current)) select.value = current;
    select.disabled = options.length === 1 && options[0].value === '';
  }

  async #switchCamera() {
    this.video?.stop();
    this.video = null;
    if (this.cameraOn) {
      try {
        const id = this.cameraId;
        const stream = await navigator.mediaDevices.getUserMedia({
          video: id ? { ...VIDEO_CONSTRAINTS, deviceId: { exact: id } } : VIDEO_CONSTRAINTS });
        this.video = stream.getVideoTracks()[0];
        $('device-message').textContent = '';
      } catch (error) {
        $('device-message').textContent = deviceProblem(error);
      }
    }
    this.#showPreview();
  }

  async #switchMicrophone() {
    this.#meter?.stop();
    this.#meter = null;
    this.audio?.stop();
    this.audio = null;
    try {
      const id = this.microphoneId;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: id ? { deviceId: { exact: id } } : true });
      this.audio = stream.getAudioTracks()[0];
      this.audio.enabled = this.microphoneOn;
      $('device-message').textContent = '';
    } catch (error) {
      $('device-message').textContent = deviceProblem(error);
    }
    this.#startMeter();
  }

  #showPreview() {
    const preview = $('preview');
    const off = $('preview-off');
    if (this.video) {
      preview.srcObject = new MediaStream([this.video]);
      preview.play().catch(() => {});
      preview.hidden = false;
      off.hidden = true;
    } else {
      preview.srcObject = null;
      preview.hidden = true;
      off.textContent = this.cameraOn ? t('previewNone') : t('previewOff');
      off.hidden = false;
    }
  }

  #startMeter() {
    const meter = $('mic-level');
    meter.value = 0;
    if (!this.audio) {
      this.#showLevelText();
      return;
    }
    try {
      this.#meter = new LevelMeter(this.audio, (level) => {
        const value = this.microphoneOn ? Math.round(level * 100) : 0;
        meter.value = value;
        this.#loudest = Math.max(this.#loudest, value);
      });
    } catch (error) {
      console.warn('no level meter', error);
    }
    this.#showLevelText();
  }

  /** The meter in words, once a second (not a live region: it would chatter). */
  #showLevelText() {
    let key = 'micLevelSilent';
    if (!this.audio) key = 'micLevelNone';
    else if (!this.microphoneOn) key = 'micLevelOff';
    else if (this.#loudest >= 25) key = 'micLevelSound';
    $('mic-level-text').textContent = t(key);
    $('mic-level').dataset.state = key;
    this.#loudest = 0;
  }
}
