#pragma once

#include <parley/backup/archive_header.h>
#include <parley/backup/backup_key.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace parley::backup {

/// AES-256-GCM over the records of one archive. The archive's own key is HKDF-SHA256 of the
/// backup key with the header's random salt, so no two archives share a key and a counter
/// nonce (record index, final flag) never repeats under one key. The whole header is the
/// associated data of every record; the nonce binds each record to its place and marks the
/// last, so records cannot be reordered, dropped, or the archive cut short unnoticed.
class RecordCipher
{
public:
    static constexpr std::size_t kTagBytes = 16;

    RecordCipher(const BackupKey& key, const ArchiveHeader& header);
    ~RecordCipher();
    RecordCipher(const RecordCipher&) = delete;
    RecordCipher& operator=(const RecordCipher&) = delete;

    /// Encrypts `plain` as record `index`; returns ciphertext followed by the tag.
    std::vector<unsigned char> seal(std::uint64_t index, bool final, std::span<const unsigned char> plain) const;
    /// Decrypts ciphertext+tag of record `index` into `plain`; false when the tag does not match.
    bool open(std::uint64_t index, bool final, std::span<const unsigned char> sealed,
              std::vector<unsigned char>& plain) const;

private:
    std::array<unsigned char, 32> key_{};
    std::string aad_;
};

} // namespace parley::backup
