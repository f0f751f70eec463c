// The series read at each scrape (metrics_handler.h). Every label value here is a word the
// code chooses (a state, a reason, a direction), and every value a count, a size or a time:
// docs/operations.md lists them, and tests/server/test_metrics.cpp checks that a meeting's
// names, addresses, titles and links never appear.
#include "metrics_handler.h"

#include <parley/portal/accounts/directory_health.h>
#include <parley/portal/http/live_certificate.h>
#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/meetings/signaling_hub.h>
#include <parley/portal/recordings/volume_handlers.h>
#include <parley/portal/sip_calls/sip_endpoint_service.h>

#include <parley/backup/backup_status.h>
#include <parley/router/media_router.h>
#include <parley/storage/recording_store.h>

#include <chrono>

namespace parley::portal {
namespace {

double seconds(std::chrono::system_clock::time_point time)
{
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

void gauge(PrometheusText& out, const char* name, const char* help, double value)
{
    out.family(name, help, "gauge");
    out.sample(name, {}, value);
}

void counter(PrometheusText& out, const char* name, const char* help, double value)
{
    out.family(name, help, "counter");
    out.sample(name, {}, value);
}

void collectServer(PrometheusText& out, const OverviewSources& sources, SignalingHub& signaling)
{
    out.family("parley_build_info", "The running build: always 1, the version in the label.", "gauge");
    out.sample("parley_build_info", {{"version", PARLEY_VERSION}}, 1);
    gauge(out, "parley_start_time_seconds", "When the server started, Unix seconds.",
          static_cast<double>(sources.startedAt));

    const auto live = countLive(sources.registry);
    gauge(out, "parley_live_meetings", "Rooms with someone present or waiting.", static_cast<double>(live.meetings));
    out.family("parley_participants", "People in meetings now, by where they are.", "gauge");
    out.sample("parley_participants", {{"state", "present"}}, static_cast<double>(live.participants));
    out.sample("parley_participants", {{"state", "waiting"}}, static_cast<double>(live.waiting));
    gauge(out, "parley_signaling_connections", "Open signaling WebSocket connections.",
          static_cast<double>(signaling.openConnections()));
}

void collectRouter(PrometheusText& out, const router::MediaRouter* media)
{
    gauge(out, "parley_router_up", "1 when the in-process media router runs (router.enabled).", media ? 1 : 0);
    if (!media)
        return;
    const auto stats = media->stats();
    counter(out, "parley_router_packets_received_total", "Datagrams the media router read from its port.",
            static_cast<double>(stats.packetsReceived));
    counter(out, "parley_router_packets_sent_total",
            "Datagrams the media router sent to participants (media, RTCP, DTLS); sampled each second.",
            static_cast<double>(stats.packetsSent));
    counter(out, "parley_router_packets_forwarded_total", "Media packet copies forwarded to subscribers.",
            static_cast<double>(stats.packetsForwarded));
    counter(out, "parley_router_received_bytes_total",
            "Bytes received from participants' checked addresses (encrypted size); sampled each second.",
            static_cast<double>(stats.bytesReceived));
    counter(out, "parley_router_sent_bytes_total", "Bytes sent to participants; sampled each second.",
            static_cast<double>(stats.bytesSent));
    out.family("parley_router_dropped_packets_total", "Datagrams the media router dropped, by reason.", "counter");
    out.sample("parley_router_dropped_packets_total", {{"reason", "unknown_address"}},
               static_cast<double>(stats.droppedUnknownAddress));
    out.sample("parley_router_dropped_packets_total", {{"reason", "malformed"}},
               static_cast<double>(stats.droppedMalformed));
    out.sample("parley_router_dropped_packets_total", {{"reason", "authentication"}},
               static_cast<double>(stats.droppedAuthentication));
    out.sample("parley_router_dropped_packets_total", {{"reason", "muted"}}, static_cast<double>(stats.droppedMuted));
    out.sample("parley_router_dropped_packets_total", {{"reason", "duplicate"}},
               static_cast<double>(stats.droppedDuplicate));
    counter(out, "parley_router_keyframe_requests_total", "Keyframe requests (PLI) sent to publishers.",
            static_cast<double>(stats.keyframeRequests));
    counter(out, "parley_router_keyframe_requests_folded_total",
            "Keyframe requests folded into one already sent (at most one a second per video).",
            static_cast<double>(stats.keyframeRequestsFolded));
    counter(out, "parley_router_retransmitted_packets_total",
            "Packets resent to subscribers who reported them lost (NACK), from the router's own copies.",
            static_cast<double>(stats.retransmitted));
    out.family("parley_router_unanswered_nacks_total",
               "Packets subscribers asked for again that were not resent, by reason.", "counter");
    out.sample("parley_router_unanswered_nacks_total", {{"reason", "not_kept"}}, static_cast<double>(stats.nackMisses));
    out.sample("parley_router_unanswered_nacks_total", {{"reason", "over_budget"}},
               static_cast<double>(stats.retransmitsRefused));
    counter(out, "parley_router_nacked_packets_total",
            "Packets lost on the way in that the router asked publishers for again (each request counted).",
            static_cast<double>(stats.nacksSent));
    counter(out, "parley_router_recovered_packets_total", "Packets lost on the way in that arrived after all.",
            static_cast<double>(stats.packetsRecovered));
    counter(out, "parley_router_unrepaired_packets_total",
            "Packets lost on the way in that were given up after the last request.",
            static_cast<double>(stats.repairsGivenUp));
    counter(out, "parley_router_transport_feedback_received_total",
            "Transport-wide feedback packets from subscribers, used for their bandwidth estimates.",
            static_cast<double>(stats.transportFeedbackReceived));
    counter(out, "parley_router_layer_switches_total",
            "Times a subscriber's copy of a simulcast video moved to another layer (at a keyframe).",
            static_cast<double>(stats.layerSwitches));
    counter(out, "parley_router_probe_packets_total",
            "Padding packets sent to probe whether a subscriber's link takes a higher layer.",
            static_cast<double>(stats.probePackets));
    counter(out, "parley_router_paced_packets_total",
            "Video copies that waited in a subscriber's pacer before leaving (bursts spread out).",
            static_cast<double>(stats.pacedPackets));
    counter(out, "parley_router_pacer_overflows_total",
            "Paced video copies sent before their time because the subscriber's pacer was full.",
            static_cast<double>(stats.pacerOverflows));
    counter(out, "parley_router_paced_expired_total",
            "Paced video copies not sent: they waited until the router no longer kept the packet.",
            static_cast<double>(stats.pacedExpired));
    counter(out, "parley_router_stun_answered_total", "STUN binding requests answered.",
            static_cast<double>(stats.stunAnswered));
    const auto load = media->load();
    // In bytes, Prometheus's base unit; the overview shows the same rates in bits.
    out.family("parley_router_bytes_per_second", "Media rate over the last second, by direction.", "gauge");
    out.sample("parley_router_bytes_per_second", {{"direction", "in"}}, static_cast<double>(load.bitsPerSecondIn) / 8);
    out.sample("parley_router_bytes_per_second", {{"direction", "out"}}, static_cast<double>(load.bitsPerSecondOut) / 8);
    gauge(out, "parley_router_loss_ratio", "Share of publishers' packets lost on the way in, last second.",
          load.lossPercent / 100);
    gauge(out, "parley_router_cpu_ratio", "CPU the router's workers used together, last second, in cores.",
          load.cpuPercent / 100);
}

void collectRecordings(PrometheusText& out, const OverviewSources& sources)
{
    const auto tally = storage::RecordingStore(sources.database).tally();
    out.family("parley_recordings", "Recordings by state: recording now, composing, queued for composition, failed.",
               "gauge");
    out.sample("parley_recordings", {{"state", "recording"}}, static_cast<double>(tally.recording));
    out.sample("parley_recordings", {{"state", "composing"}}, static_cast<double>(tally.composing));
    out.sample("parley_recordings", {{"state", "queued"}}, static_cast<double>(tally.queued));
    out.sample("parley_recordings", {{"state", "failed"}}, static_cast<double>(tally.failed));
    gauge(out, "parley_composition_queue_length", "Recordings waiting for or in composition.",
          static_cast<double>(tally.queued + tally.composing));
}

void collectVolume(PrometheusText& out, const OverviewSources& sources)
{
    const auto volume = volumeStatusJson(sources.volumeMountPoint, sources.volumeContainer);
    const bool unlocked = volume->getValue<std::string>("state") == "unlocked";
    gauge(out, "parley_volume_unlocked",
          "1 when the recording volume is an unlocked Parley volume recordings can be written to.", unlocked);
    if (!unlocked)
        return;
    gauge(out, "parley_volume_free_bytes", "Free bytes on the recording volume.",
          static_cast<double>(volume->getValue<Poco::Int64>("freeBytes")));
    gauge(out, "parley_volume_size_bytes", "Size of the recording volume's file system.",
          static_cast<double>(volume->getValue<Poco::Int64>("sizeBytes")));
}

void collectCertificateAndDirectory(PrometheusText& out, const OverviewSources& sources)
{
    const auto certificate = sources.certificate.current();
    gauge(out, "parley_tls_certificate_expiry_timestamp_seconds",
          "When the TLS certificate in service expires, Unix seconds.", seconds(certificate.chain->notAfter()));

    const auto directory = sources.directory.status();
    gauge(out, "parley_directory_enabled", "1 when directory (LDAP) login is on.", directory.enabled);
    if (directory.enabled && directory.reachable) {
        gauge(out, "parley_directory_up", "1 when the last directory check passed, 0 when it failed.",
              *directory.reachable);
        gauge(out, "parley_directory_last_check_timestamp_seconds", "When the directory was last checked, Unix seconds.",
              static_cast<double>(directory.checkedAt));
    }
}

/// From the status `parleyctl backup create` leaves (docs/operations.md). Nothing before the
/// first attempt, so no alert fires on a server that has no backups set up; a status that
/// cannot be read shows as parley_backup_status_readable 0.
void collectBackups(PrometheusText& out, const OverviewSources& sources)
{
    if (sources.backupStatusFile.empty())
        return;
    std::optional<backup::BackupStatus> status;
    bool readable = true;
    try {
        status = backup::readBackupStatus(sources.backupStatusFile);
    }
    catch (const std::runtime_error&) {
        readable = false;
    }
    gauge(out, "parley_backup_status_readable",
          "0 when the backup status file exists but cannot be read (see the admin overview for why).", readable);
    if (!status)
        return;
    if (status->lastAttemptTime)
        gauge(out, "parley_backup_last_attempt_timestamp_seconds", "When a backup was last tried, Unix seconds.",
              static_cast<double>(*status->lastAttemptTime));
    if (status->lastSuccessTime) {
        gauge(out, "parley_backup_last_success_timestamp_seconds", "When the last good backup was made, Unix seconds.",
              static_cast<double>(*status->lastSuccessTime));
        gauge(out, "parley_backup_last_size_bytes", "Size of the last good backup archive.",
              static_cast<double>(status->lastSuccessBytes));
    }
    gauge(out, "parley_backup_consecutive_failures", "Backups that failed since the last good one.",
          static_cast<double>(status->consecutiveFailures));
    counter(out, "parley_backup_failures_total", "Backups that failed.", static_cast<double>(status->failuresTotal));
    counter(out, "parley_backup_successes_total", "Backups made.", static_cast<double>(status->successesTotal));
}

/// SIP's counters since start (docs/sip.md); only `parley_sip_up` while SIP is off. The
/// refusal reasons are the SIP server's own words.
void collectSip(PrometheusText& out, const SipEndpointService& sip)
{
    const auto status = sip.status();
    gauge(out, "parley_sip_up", "1 when SIP over TLS runs (sip.enabled).", status.enabled);
    if (!status.enabled)
        return;
    gauge(out, "parley_sip_active_calls", "SIP calls in meetings now.", static_cast<double>(status.stats.activeCalls));
    counter(out, "parley_sip_calls_total", "SIP calls answered and joined to a meeting.",
            static_cast<double>(status.stats.callsAccepted));
    out.family("parley_sip_refusals_total", "SIP calls and registrations refused, by reason.", "counter");
    for (const auto& [reason, count] : status.stats.refusals)
        out.sample("parley_sip_refusals_total", {{"reason", reason}}, static_cast<double>(count));
    counter(out, "parley_sip_rekeys_total", "SIP calls given new SRTP keys by a re-INVITE, either side's.",
            static_cast<double>(status.stats.rekeys));
    counter(out, "parley_sip_rekey_failures_total",
            "Parley's rekeying re-INVITEs refused or unanswered (the call kept its keys) or answered without a usable key (hung up).",
            static_cast<double>(status.stats.rekeyFailures));
    counter(out, "parley_sip_rekeys_not_taken_total",
            "Parley's rekeys an endpoint answered but did not take (its receiver reports showed it): the call went back "
            "to its previous key and is not rekeyed again.",
            static_cast<double>(status.stats.rekeysNotTaken));
    counter(out, "parley_sip_video_calls_total", "SIP calls answered with video (VP8 or H.264 passed through).",
            static_cast<double>(status.stats.videoCalls));
    out.family("parley_sip_keyframe_infos_total",
               "SIP INFO picture_fast_update keyframe requests, to endpoints and from them.", "counter");
    out.sample("parley_sip_keyframe_infos_total", {{"direction", "sent"}}, static_cast<double>(status.stats.keyframeInfosSent));
    out.sample("parley_sip_keyframe_infos_total", {{"direction", "received"}},
               static_cast<double>(status.stats.keyframeInfosReceived));
    counter(out, "parley_sip_registrations_total", "REGISTER requests accepted (refreshes included).",
            static_cast<double>(status.stats.registrations));
    gauge(out, "parley_sip_registered_endpoints", "Endpoints with a registration in force.",
          static_cast<double>(status.registeredEndpoints));
}

} // namespace

void addServerCollectors(MetricsSources& sources)
{
    auto& overview = sources.overview;
    auto& signaling = sources.signaling;
    auto& sip = sources.sip;
    sources.registry.addCollector([&overview, &signaling, &sip](PrometheusText& out) {
        collectServer(out, overview, signaling);
        collectRouter(out, overview.media);
        collectRecordings(out, overview);
        collectVolume(out, overview);
        collectCertificateAndDirectory(out, overview);
        collectBackups(out, overview);
        collectSip(out, sip);
    });
}

} // namespace parley::portal
