#pragma once

#include <parley/portal/http/address_list.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace parley::portal {

/// How the portal's HTTPS listener behaves. parleyd fills it from the `[server]` and `[tls]`
/// configuration sections (docs/configuration.md).
struct HttpsSettings
{
    std::string listenAddress = "127.0.0.1";
    std::uint16_t port = 8443;
    /// A second address and port on which only `GET /metrics` is served, with the same
    /// certificate and bearer token (`metrics.listen_address`, `metrics.port`); empty: none.
    std::string metricsListenAddress;
    std::uint16_t metricsPort = 9443;
    /// PEM certificate chain (leaf first) and its private key.
    std::filesystem::path certificateFile;
    std::filesystem::path privateKeyFile;
    /// Where a certificate uploaded with `PUT /api/v1/admin/tls` is kept (chain and key in one
    /// file, mode 0600); while it exists it serves instead of the two files above. parleyd
    /// uses <data_dir>/tls/uploaded.pem.
    std::filesystem::path uploadedCertificateFile;
    /// Largest request body accepted; larger ones get 413.
    std::size_t maxBodyBytes = 1024 * 1024;
    /// HTTP connections at once (each holds a thread while it lasts), and from one address.
    int maxThreads = 512;
    int maxConnectionsPerAddress = 64;
    int maxQueuedConnections = 64;
    /// Longest wait for any single read or write on a connection, and the most a request's
    /// head (TLS handshake included) or its body may take in all.
    std::chrono::seconds requestTimeout{30};
    std::chrono::seconds keepAliveTimeout{10};
    std::chrono::seconds hstsMaxAge{31536000};
    /// Who may use the portal at all, and who may call its admin and audit endpoints
    /// (checked on top of the portal list). Deny entries win over allow entries.
    AccessPolicy portalAccess;
    AccessPolicy adminAccess;
    /// Where the meeting page's files are (portal/web in the source tree).
    std::filesystem::path webRoot;
    /// Where people reach the server (`server.public_url`), as an origin made by
    /// publicUrlOrigin (public_origin.h); empty: links follow each request's Host header.
    std::string publicUrl;
    /// Mount point of the encrypted recording volume, reported by `GET /api/v1/admin/volume`.
    std::filesystem::path recordingVolume;
    /// The LUKS2 container behind it (`volume.container`), whose header says which key slots
    /// are in use when the server may read it.
    std::filesystem::path volumeContainer;
    /// Where `parleyctl backup create` records its attempts (parleyd: <data_dir>/backup-status.json),
    /// shown in the admin overview and `/metrics`; empty: no backup status is shown.
    std::filesystem::path backupStatusFile;
    /// The key recording exports are signed with (<data_dir>/export-signing.key), made on
    /// first start like the audit key. Empty: a key for this run only (embedded tests).
    std::filesystem::path exportSigningKeyFile;
};

} // namespace parley::portal
