// Export of one recording for a legal or medical record: a ZIP (stored, not compressed:
// video does not compress) streamed to the client with Poco::Zip, holding the composed
// file, the track files, and a manifest signed with the server's Ed25519 key.
#include <parley/portal/recordings/recording_handlers.h>

#include "export_manifest.h"
#include "recording_access.h"
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/secret_token.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/recordings/export_signer.h>
#include <parley/portal/recordings/recording_library.h>

#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>
#include <parley/volume/volume_error.h>

#include <Poco/DateTime.h>
#include <Poco/Timestamp.h>
#include <Poco/Zip/Compress.h>

#include <ext/stdio_filebuf.h>

#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

/// Reads a volume file from its start, as the istream Poco::Zip copies from, through a
/// duplicate of its descriptor (closed with the reader; it shares the file offset, which
/// only this request uses) that no child process inherits.
class FileReader
{
public:
    explicit FileReader(int fd)
        : fd_(::fcntl(fd, F_DUPFD_CLOEXEC, 0)), buffer_(fd_, std::ios::in, 256 * 1024), stream_(&buffer_)
    {
        if (fd_ < 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
            throw std::runtime_error("cannot read a file of the recording");
    }
    std::istream& stream() { return stream_; }

private:
    int fd_; ///< owned (and closed) by buffer_
    __gnu_cxx::stdio_filebuf<char> buffer_;
    std::istream stream_;
};

} // namespace

void RecordingExportHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto [recording, rights] =
        authorizedRecording(services(), request, &RecordingRights::play, "recording.export");
    if (recording.composition != "done")
        throw HttpError(Status::HTTP_CONFLICT, "not_ready",
                        "the recording is not composed yet (" + recording.composition + ")");
    // A file that is not the one recorded: refused, and on record as a failed export.
    // The id by init-capture: a lambda naming a structured binding is C++20 that clang 14
    // (the fuzz build) does not take.
    const auto refuse = [&, recordingId = recording.id](const std::string& code, const std::string& message) {
        services().audit.append({request.actorName(), request.clientAddress, "recording.export",
                                 "recording:" + std::to_string(recordingId), "failure",
                                 storage::AuditDetails().add("result", code).add("message", message).text()});
        throw HttpError(Status::HTTP_CONFLICT, code, message);
    };
    std::optional<volume::RecordingDirectory> volume;
    try {
        volume.emplace(services().recordingLibrary.openVolume());
    }
    catch (const volume::VolumeError& e) {
        throw HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", e.what());
    }
    // Every file is checked against its stored SHA-256 first: an export vouches for what it
    // holds, so a file that changed since it was recorded stops it.
    std::vector<ExportFile> files;
    std::vector<volume::FileHandle> handles;
    const auto add = [&](const std::string& name, const std::string& path, const std::string& expected,
                         const storage::StoredTrack* track) {
        try {
            handles.push_back(volume->openFile(path));
        }
        catch (const volume::VolumeError& e) {
            if (e.failure() != volume::VolumeFailure::NotFound)
                throw HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", e.what());
            refuse("file_missing", name + " is missing from the volume");
        }
        const auto actual = sha256OfFile(handles.back().get());
        if (!expected.empty() && actual != expected)
            refuse("integrity_failed", name + " is not the file that was recorded (its SHA-256 changed)");
        struct stat status{};
        if (::fstat(handles.back().get(), &status) != 0)
            throw std::runtime_error("cannot read the size of " + name);
        files.push_back({name, path, actual, static_cast<std::uint64_t>(status.st_size), track, !expected.empty()});
    };
    add("recording.webm", recording.file, recording.sha256, nullptr);
    for (const auto& track : recording.tracks)
        if (track.frames > 0)
            add("tracks/" + track.file, recording.directory + "/" + track.file, track.sha256, &track);

    const auto& signer = services().exportSigner;
    const std::string manifest = exportManifest(recording, files,
                                                {request.actorName(), request.clientAddress, unixNow()},
                                                signer.fingerprint());
    const std::string signature = signer.sign(manifest);
    // Audited before anything leaves; a log that cannot be written stops the export.
    auditRecordingAccess(services(), request, "recording.export", recording, true,
                         storage::AuditDetails()
                             .add("files", static_cast<std::int64_t>(files.size()))
                             .add("manifestSha256", tokenHash(manifest)) // hex SHA-256
                             .add("signingKeySha256", signer.fingerprint()));

    response.setStatus(Status::HTTP_OK);
    response.setContentType("application/zip");
    response.set("Cache-Control", "no-store");
    response.set("Content-Disposition",
                 "attachment; filename=\"recording-" + std::to_string(recording.id) + "-export.zip\"");
    response.setChunkedTransferEncoding(true);
    if (request.http.getMethod() == "HEAD") {
        response.send();
        return;
    }
    auto& out = response.send();
    // Not seekable (the response), stored, with ZIP64 sizes so files past 4 GiB fit.
    Poco::Zip::Compress zip(out, false, true);
    const Poco::DateTime when(Poco::Timestamp::fromEpochTime(recording.stoppedAt.value_or(recording.startedAt)));
    const auto addText = [&](const std::string& name, const std::string& text) {
        std::istringstream in(text);
        zip.addFile(in, when, Poco::Path(name, Poco::Path::PATH_UNIX), Poco::Zip::ZipCommon::CM_STORE,
                    Poco::Zip::ZipCommon::CL_SUPERFAST);
    };
    addText("README.txt", exportReadme(recording, signer.fingerprint()));
    addText("manifest.json", manifest);
    addText("manifest.json.sig", signature);
    addText("signing-key.pem", signer.publicKeyPem());
    for (std::size_t i = 0; i < files.size() && out.good(); ++i) {
        FileReader reader(handles[i].get());
        zip.addFile(reader.stream(), when, Poco::Path(files[i].name, Poco::Path::PATH_UNIX),
                    Poco::Zip::ZipCommon::CM_STORE, Poco::Zip::ZipCommon::CL_SUPERFAST);
    }
    zip.close();
}

void ExportSigningKeyHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("algorithm", "Ed25519");
    body.set("publicKeyPem", services().exportSigner.publicKeyPem());
    body.set("sha256", services().exportSigner.fingerprint());
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
