// One RTCPeerConnection to the media router. The page always makes the offer: its own
// tracks are sendonly sections, every track it wants from others a recvonly section, and
// the router answers (docs/signaling.md, media.offer without "to"). After a reconnection the
// page makes a new MediaSession: the router forgot the old one.

// The camera goes as simulcast layers (RFC 8853), lowest first as the router expects: each
// subscriber gets the one that fits its bandwidth and the size of its tile. Browsers send
// three layers from 540 lines up and two from 270 (fewer layers are dropped from the top), so
// the page asks for what the camera's picture allows, the largest always at full size. A
// screen share stays one stream (its text must stay sharp for everyone).
const CAMERA_LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/** The most a receiver is asked to buffer (the router asks at most 400 ms; Chrome takes up
 *  to 4 s). */
const MAX_BUFFER_MS = 4000;

/** The encodings for a camera track: three layers, two, or none (one plain stream). */
export function cameraEncodings(track) {
  const height = track.getSettings?.().height ?? 0;
  const count = height >= 540 ? 3 : height >= 270 ? 2 : 1;
  return count > 1 ? CAMERA_LAYERS.slice(3 - count).map((layer) => ({ ...layer })) : undefined;
}

export class MediaSession {
  #signaling;
  #pc;
  #local = new Map();        // label ("audio", "video", "screen") -> RTCRtpTransceiver
  #remote = new Map();       // track id -> RTCRtpTransceiver
  #wanted = new Map();       // track id -> { kind, publisherId }
  #buffering = new Map();    // publisher id -> ms to buffer its audio and video (media.buffer)
  #busy = false;
  #again = false;
  #closed = false;
  /** Where the router takes media ("address:port" from its answer's candidate), once known. */
  routerAddress = null;
  onRemoteTrack = () => {};  // (publisherId, trackId, label, MediaStreamTrack)
  onRemoteTrackEnded = () => {}; // (trackId, publisherId, label, MediaStreamTrack)
  onConnectionState = () => {};  // (RTCPeerConnection.connectionState)
  onNegotiated = () => {};       // after each answer is applied

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
    this.#pc.addEventListener('connectionstatechange', () => {
      if (!this.#closed) this.onConnectionState(this.#pc.connectionState);
    });
  }

  get peerConnection() { return this.#pc; }
  get connectionState() { return this.#pc.connectionState; }
  /** Whether anything was negotiated yet (there is a connection to wait for). */
  get negotiated() { return this.#pc.remoteDescription !== null; }

  /** What each receiving section carries: [{ mid, trackId, publisherId, kind }]. */
  receiving() {
    return [...this.#remote].map(([trackId, transceiver]) => ({
      mid: transceiver.mid, trackId, ...this.#wanted.get(trackId),
    }));
  }

  /** Buffers what each publisher sends, audio and video alike, as long as the router asks
   *  while a link loses packets, so that repairs arrive in time and the voice stays in step
   *  with the picture ({publisher id: ms}; a publisher left out needs nothing extra). */
  setBuffering(publishers) {
    this.#buffering = new Map(Object.entries(publishers ?? {})
      .filter(([, ms]) => Number.isFinite(ms) && ms > 0)
      .map(([publisherId, ms]) => [publisherId, Math.min(ms, MAX_BUFFER_MS)]));
    this.#applyBuffering();
  }

  /** The buffering set on each receiver: [{ publisherId, kind, ms }] (ms null: none). */
  buffering() {
    return [...this.#remote].map(([trackId, transceiver]) => ({
      publisherId: this.#wanted.get(trackId)?.publisherId, kind: transceiver.receiver.track.kind,
      ms: transceiver.receiver.jitterBufferTarget ?? null,
    }));
  }

  #applyBuffering() {
    for (const [trackId, transceiver] of this.#remote) {
      const ms = this.#buffering.get(this.#wanted.get(trackId)?.publisherId) ?? null;
      // (jitterBufferTarget is Chrome's since 114; elsewhere the playout-delay extension
      // still buffers the video.)
      if ('jitterBufferTarget' in transceiver.receiver && transceiver.receiver.jitterBufferTarget !== ms) {
        transceiver.receiver.jitterBufferTarget = ms;
      }
    }
  }

  /** The sender of a published label, if any. */
  sender(label) {
    return this.#local.get(label)?.sender ?? null;
  }

  /** Publishes local tracks under labels ({label: track}), or replaces the ones published
   *  under them (null: sends nothing for now); one negotiation for all that are new. */
  async publish(tracks) {
    let added = false;
    for (const [label, track] of Object.entries(tracks)) {
      const existing = this.#local.get(label);
      if (existing) {
        await existing.sender.replaceTrack(track);
      } else if (track) {
        const init = { direction: 'sendonly' };
        const encodings = label === 'video' ? cameraEncodings(track) : undefined;
        if (encodings) init.sendEncodings = encodings;
        this.#local.set(label, this.#pc.addTransceiver(track, init));
        added = true;
      }
    }
    if (added) await this.negotiate();
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
    this.#applyBuffering();
    for (const [trackId, transceiver] of this.#remote) {
      if (!tracks.has(trackId)) {
        const wanted = this.#wanted.get(trackId);
        const track = transceiver.receiver.track;
        transceiver.stop();
        this.#remote.delete(trackId);
        this.#wanted.delete(trackId);
        this.onRemoteTrackEnded(trackId, wanted?.publisherId, wanted?.kind, track);
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
        if (this.#closed) return;
        const offer = await this.#pc.createOffer();
        await this.#pc.setLocalDescription(offer);
        const tracks = {};
        for (const [label, transceiver] of this.#local) if (transceiver.mid) tracks[transceiver.mid] = label;
        const subscriptions = {};
        for (const [trackId, transceiver] of this.#remote) if (transceiver.mid) subscriptions[transceiver.mid] = trackId;
        const answer = await this.#signaling.request(
          { type: 'media.offer', sdp: this.#pc.localDescription.sdp, tracks, subscriptions }, ['media.answer']);
        if (this.#closed) return;
        this.routerAddress = routerAddressOf(answer.sdp) ?? this.routerAddress;
        await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
        this.onNegotiated();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  close() {
    this.#closed = true;
    this.#pc.close();
  }
}

/** "address:port" of the first UDP candidate in an SDP answer (the router's media port). */
export function routerAddressOf(sdp) {
  const match = /^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ/im.exec(sdp ?? '');
  if (!match) return null;
  return match[1].includes(':') ? `[${match[1]}]:${match[2]}` : `${match[1]}:${match[2]}`;
}
