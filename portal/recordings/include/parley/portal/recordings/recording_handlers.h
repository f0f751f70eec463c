#pragma once

#include <parley/portal/recordings/recording_handler_services.h>

namespace parley::portal {

// Who may do what with a recording (docs/recording.md): its room's owner and admins
// everything; users it is shared with see and play it; auditors see its metadata (and the
// audit log of who accessed it), its content only if it is shared with them. Anyone else
// gets 403. Every view, download, share, unshare, delete and integrity check is audited,
// refusals too.

/// `GET /api/v1/recordings`: the recordings the caller may see, newest first.
class RecordingsHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/recordings/{id}`: GET metadata; DELETE removes the files and the record.
class RecordingHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/recordings/{id}/media` (inline, for the player) and `.../download`
/// (attachment): the composed file, with single HTTP byte ranges (206, 416).
class RecordingMediaHandler : public RecordingHandlerBase
{
public:
    /// `track`: serves `.../tracks/{track}/media`, one track file (numbered from 1 in the
    /// order the recording lists its tracks), playable while the composed file is made.
    RecordingMediaHandler(const HandlerContext& context, RecordingHandlerServices& services, bool download,
                          bool track = false)
        : RecordingHandlerBase(context, services), download_(download), track_(track)
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    bool download_;
    bool track_;
};

/// `POST /api/v1/recordings/{id}/shares` {username}: shares with a user (owner, admins).
class RecordingSharesHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `DELETE /api/v1/recordings/{id}/shares/{user}`: takes a share back (owner, admins).
class RecordingShareHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/recordings/{id}/verify`: checks the stored SHA-256 now (owner, admins,
/// auditors).
class RecordingVerifyHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/recordings/{id}/export`: the recording as a ZIP for a legal or medical
/// record (whoever may download it): the composed file, the track files, and a manifest
/// signed with the server's key; every file checked against its stored SHA-256 first (409
/// when one changed or is missing); audited as `recording.export`.
class RecordingExportHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/recordings/signing-key`: the public key exports are signed with, and its
/// SHA-256 fingerprint (any signed-in user).
class ExportSigningKeyHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/admin/recordings?q=&page=&per_page=` (admins): every recording, searched by
/// title, starter or owner, newest first, paged; with how much of the volume is used and free.
class AdminRecordingsHandler : public RecordingHandlerBase
{
public:
    using RecordingHandlerBase::RecordingHandlerBase;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
