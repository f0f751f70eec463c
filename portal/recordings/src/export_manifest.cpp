#include "export_manifest.h"

#include <parley/portal/http/json_response.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <sstream>

namespace parley::portal {

std::string exportManifest(const storage::Recording& recording, const std::vector<ExportFile>& files,
                           const ExportedBy& by, const std::string& signingKeyFingerprint)
{
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    Object manifest(Poco::JSON_PRESERVE_KEY_ORDER);
    manifest.set("format", "parley-recording-export/1");
    Object about(Poco::JSON_PRESERVE_KEY_ORDER);
    about.set("id", recording.id);
    about.set("roomId", recording.roomId);
    about.set("meeting", recording.roomTitle);
    about.set("startedBy", recording.startedBy);
    about.set("startedAt", isoTime(recording.startedAt));
    if (recording.stoppedAt)
        about.set("stoppedAt", isoTime(*recording.stoppedAt));
    if (recording.durationMs)
        about.set("durationMs", *recording.durationMs);
    manifest.set("recording", about);

    // Participants in the order their first track appears, each with their track files.
    std::vector<std::string> order;
    std::map<std::string, std::pair<std::string, Array>> people;
    Array fileList;
    for (const auto& file : files) {
        Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        item.set("name", file.name);
        item.set("bytes", static_cast<Poco::UInt64>(file.bytes));
        item.set("sha256", file.sha256);
        item.set("matchesStoredHash", file.matchesStoredHash);
        if (!file.track) {
            item.set("content", "composed");
        }
        else {
            const auto& track = *file.track;
            const auto participant = track.trackId.substr(0, track.trackId.find('/'));
            item.set("content", track.label);
            item.set("codec", track.codec);
            item.set("participant", participant);
            item.set("displayName", track.displayName);
            item.set("firstMs", track.firstMs);
            item.set("lastMs", track.lastMs);
            auto [entry, added] = people.try_emplace(participant, track.displayName, Array());
            if (added)
                order.push_back(participant);
            entry->second.second.add(file.name);
        }
        fileList.add(item);
    }
    Array participants;
    for (const auto& id : order) {
        Object person(Poco::JSON_PRESERVE_KEY_ORDER);
        person.set("participant", id);
        person.set("displayName", people[id].first);
        person.set("files", people[id].second);
        participants.add(person);
    }
    manifest.set("participants", participants);
    manifest.set("files", fileList);
    Object exported(Poco::JSON_PRESERVE_KEY_ORDER);
    exported.set("by", by.username);
    exported.set("address", by.address);
    exported.set("at", isoTime(by.at));
    manifest.set("exported", exported);
    Object signature(Poco::JSON_PRESERVE_KEY_ORDER);
    signature.set("algorithm", "Ed25519");
    signature.set("file", "manifest.json.sig");
    signature.set("publicKey", "signing-key.pem");
    signature.set("publicKeySha256", signingKeyFingerprint);
    manifest.set("signature", signature);
    std::ostringstream text;
    manifest.stringify(text, 2);
    text << '\n';
    return text.str();
}

std::string exportReadme(const storage::Recording& recording, const std::string& signingKeyFingerprint)
{
    return "Recording " + std::to_string(recording.id) + " of \"" + recording.roomTitle +
           "\", exported from Parley.\n"
           "\n"
           "recording.webm      the composed recording (VP8 video, Opus sound)\n"
           "tracks/             each participant's sound, camera and screen as recorded\n"
           "manifest.json       the meeting, the participants, each file's SHA-256, who exported it\n"
           "manifest.json.sig   the server's Ed25519 signature of manifest.json\n"
           "signing-key.pem     the server's public key (compare its fingerprint below with the\n"
           "                    one the server shows, GET /api/v1/recordings/signing-key)\n"
           "\n"
           "To check the package (OpenSSL 3 and coreutils):\n"
           "\n"
           "  openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin \\\n"
           "      -in manifest.json -sigfile manifest.json.sig\n"
           "  openssl pkey -pubin -in signing-key.pem -outform DER | sha256sum\n"
           "  sha256sum recording.webm tracks/*     (compare with manifest.json)\n"
           "\n"
           "Public key fingerprint (SHA-256): " +
           signingKeyFingerprint + "\n";
}

} // namespace parley::portal
