// One RTCPeerConnection to the media router. The page always makes the offer: its own
// tracks are sendonly sections, every track it wants from others a recvonly section, and
// the router answers (docs/signaling.md, media.offer without "to").

export class MediaSession {
  #signaling;
  #pc;
  #local = new Map();        // label ("audio", "video", "screen") -> RTCRtpTransceiver
  #remote = new Map();       // track id -> RTCRtpTransceiver
  #wanted = new Map();       // track id -> { kind, publisherId }
  #busy = false;
  #again = false;
  onRemoteTrack = () => {};  // (publisherId, trackId, label, MediaStreamTrack)
  onRemoteTrackEnded = () => {}; // (trackId)

  constructor(signaling) {
    this.#signaling = signaling;
    this.#pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc.addEventListener('track', (event) => {
      for (const [trackId, transceiver] of this.#remote) {
        if (transceiver === event.transceiver) {
          const wanted = this.#wanted.get(trackId);
          this.onRemoteTrack(wanted?.publisherId, trackId, wanted?.kind, event.track);
        }
      }
    });
  }

  get peerConnection() { return this.#pc; }

  /** What each receiving section carries: [{ mid, trackId, publisherId, kind }]. */
  receiving() {
    return [...this.#remote].map(([trackId, transceiver]) => ({
      mid: transceiver.mid, trackId, ...this.#wanted.get(trackId),
    }));
  }

  /** Publishes a local track under a label, or replaces the one published under it. */
  async publish(label, track) {
    const existing = this.#local.get(label);
    if (existing) {
      await existing.sender.replaceTrack(track);
      return;
    }
    this.#local.set(label, this.#pc.addTransceiver(track, { direction: 'sendonly' }));
    await this.negotiate();
  }

  async unpublish(label) {
    const transceiver = this.#local.get(label);
    if (!transceiver) return;
    this.#local.delete(label);
    transceiver.stop();
    await this.negotiate();
  }

  /** The remote tracks the page should receive: track id -> { kind, publisherId }. */
  async want(tracks) {
    let changed = false;
    for (const [trackId, track] of tracks) {
      if (!this.#remote.has(trackId)) {
        this.#wanted.set(trackId, track);
        const kind = track.kind === 'audio' ? 'audio' : 'video';
        this.#remote.set(trackId, this.#pc.addTransceiver(kind, { direction: 'recvonly' }));
        changed = true;
      }
    }
    for (const [trackId, transceiver] of this.#remote) {
      if (!tracks.has(trackId)) {
        transceiver.stop();
        this.#remote.delete(trackId);
        this.#wanted.delete(trackId);
        this.onRemoteTrackEnded(trackId);
        changed = true;
      }
    }
    if (changed) await this.negotiate();
  }

  /** One offer/answer round at a time; changes made meanwhile get one more round. */
  async negotiate() {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        const offer = await this.#pc.createOffer();
        await this.#pc.setLocalDescription(offer);
        const tracks = {};
        for (const [label, transceiver] of this.#local) if (transceiver.mid) tracks[transceiver.mid] = label;
        const subscriptions = {};
        for (const [trackId, transceiver] of this.#remote) if (transceiver.mid) subscriptions[transceiver.mid] = trackId;
        const answered = this.#signaling.next(['media.answer'], 'media.offer');
        this.#signaling.send({ type: 'media.offer', sdp: this.#pc.localDescription.sdp, tracks, subscriptions });
        const answer = await answered;
        await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  close() {
    this.#pc.close();
  }
}
