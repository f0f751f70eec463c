/** While in a meeting, tells the server every few seconds the round trip this browser
 *  measures to the media router, so that an administrator can see each person's connection
 *  quality. The router is an ICE-lite agent and measures none itself; the browser's ICE
 *  consent checks do. */
const REPORT_EVERY_MS = 5000;

export class RoundTripReporter {
  /** `currentMedia()` gives the MediaSession in use (or null); `send` a signaling message. */
  constructor(currentMedia, send) {
    this.timer = setInterval(() => {
      this.report(currentMedia(), send).catch(() => {});
    }, REPORT_EVERY_MS);
  }

  async report(media, send) {
    if (!media) return;
    const stats = await media.peerConnection.getStats();
    let pair = null;
    for (const report of stats.values())
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    if (typeof pair?.currentRoundTripTime !== 'number') return;
    send({ type: 'stats', roundTripMs: Math.round(pair.currentRoundTripTime * 10000) / 10 });
  }

  stop() {
    clearInterval(this.timer);
  }
}
