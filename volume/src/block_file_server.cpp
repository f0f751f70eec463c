#define FUSE_USE_VERSION 35
#include "block_file_server.h"

#include <fuse.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace parley::volume {

namespace {

// Requests are cut into chunks of this size so the scratch buffer is allocated once.
constexpr std::size_t kChunk = 1024 * 1024;

struct ServerState
{
    BlockFileSource source;
    std::vector<std::uint8_t> scratch;
};

ServerState& state()
{
    return *static_cast<ServerState*>(fuse_get_context()->private_data);
}

bool isBlockFile(const char* path)
{
    return path[0] == '/' && std::strcmp(path + 1, kBlockFileName) == 0;
}

int readFully(int fd, std::uint8_t* data, std::size_t size, std::uint64_t offset)
{
    while (size > 0) {
        const ssize_t got = ::pread(fd, data, size, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? -errno : -EIO; // the container is never shorter than its header says
        data += got;
        size -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
    return 0;
}

int writeFully(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset)
{
    while (size > 0) {
        const ssize_t put = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;
        data += put;
        size -= static_cast<std::size_t>(put);
        offset += static_cast<std::uint64_t>(put);
    }
    return 0;
}

void* onInit(fuse_conn_info* connection, fuse_config* config)
{
    // Every read and write reaches this process: the page cache holds no second copy of the
    // plaintext, and a write the loop device was told is done is in the container.
    config->direct_io = 1;
    config->kernel_cache = 0;
    config->attr_timeout = 3600;
    config->entry_timeout = 3600;
    connection->max_write = kChunk;
    auto* server = static_cast<ServerState*>(fuse_get_context()->private_data);
    return server;
}

int onGetattr(const char* path, struct stat* status, fuse_file_info*)
{
    std::memset(status, 0, sizeof *status);
    if (std::strcmp(path, "/") == 0) {
        status->st_mode = S_IFDIR | 0700;
        status->st_nlink = 2;
        return 0;
    }
    if (!isBlockFile(path))
        return -ENOENT;
    status->st_mode = S_IFREG | 0600;
    status->st_nlink = 1;
    status->st_size = static_cast<off_t>(state().source.dataSize);
    status->st_blksize = static_cast<blksize_t>(state().source.cipher->sectorSize());
    return 0;
}

int onReaddir(const char* path, void* buffer, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags)
{
    if (std::strcmp(path, "/") != 0)
        return -ENOTDIR;
    fill(buffer, ".", nullptr, 0, fuse_fill_dir_flags{});
    fill(buffer, "..", nullptr, 0, fuse_fill_dir_flags{});
    fill(buffer, kBlockFileName, nullptr, 0, fuse_fill_dir_flags{});
    return 0;
}

int onOpen(const char* path, fuse_file_info* file)
{
    if (!isBlockFile(path))
        return -ENOENT;
    if (file->flags & O_TRUNC)
        return -EPERM;
    file->direct_io = 1;
    return 0;
}

/// The whole sectors holding the next chunk of a request at `position` with `remaining`
/// bytes to go: `length` bytes from `alignedStart`, the request's own at `skip` for `take`.
/// Requests never pass the end of the data segment, which is whole sectors, so neither does
/// the span.
struct ChunkSpan
{
    std::uint64_t alignedStart;
    std::size_t length;
    std::size_t skip;
    std::size_t take;
};

ChunkSpan nextChunk(std::uint64_t position, std::size_t remaining, std::uint64_t sector)
{
    const std::uint64_t alignedStart = position / sector * sector;
    const std::uint64_t wanted = std::min<std::uint64_t>(remaining, kChunk);
    const std::uint64_t alignedEnd = (position + wanted + sector - 1) / sector * sector;
    const auto length = static_cast<std::size_t>(alignedEnd - alignedStart);
    const auto skip = static_cast<std::size_t>(position - alignedStart);
    return {alignedStart, length, skip, std::min<std::size_t>(length - skip, remaining)};
}

int readBlock(const char* path, char* out, std::size_t size, off_t offset)
{
    if (!isBlockFile(path))
        return -ENOENT;
    ServerState& server = state();
    const BlockFileSource& source = server.source;
    if (offset < 0)
        return -EINVAL;
    const auto start = static_cast<std::uint64_t>(offset);
    if (start >= source.dataSize)
        return 0;
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, source.dataSize - start));
    const std::uint64_t sector = source.cipher->sectorSize();
    std::size_t done = 0;
    while (done < size) {
        const auto [alignedStart, length, skip, take] = nextChunk(start + done, size - done, sector);
        if (const int failed = readFully(source.containerFd, server.scratch.data(), length,
                                         source.dataOffset + alignedStart))
            return failed;
        source.cipher->decrypt({server.scratch.data(), length}, alignedStart);
        std::memcpy(out + done, server.scratch.data() + skip, take);
        done += take;
    }
    return static_cast<int>(done);
}

int writeBlock(const char* path, const char* in, std::size_t size, off_t offset)
{
    if (!isBlockFile(path))
        return -ENOENT;
    ServerState& server = state();
    const BlockFileSource& source = server.source;
    if (offset < 0)
        return -EINVAL;
    const auto start = static_cast<std::uint64_t>(offset);
    if (start + size > source.dataSize)
        return -ENOSPC; // the block file has the size of the data segment, no more
    const std::uint64_t sector = source.cipher->sectorSize();
    std::size_t done = 0;
    while (done < size) {
        const auto [alignedStart, length, skip, take] = nextChunk(start + done, size - done, sector);
        std::uint8_t* scratch = server.scratch.data();
        // A write that covers part of a sector keeps the rest of it: read, decrypt, change.
        if (skip != 0 || take != length) {
            if (const int failed =
                    readFully(source.containerFd, scratch, length, source.dataOffset + alignedStart))
                return failed;
            source.cipher->decrypt({scratch, length}, alignedStart);
        }
        std::memcpy(scratch + skip, in + done, take);
        source.cipher->encrypt({scratch, length}, alignedStart);
        if (const int failed = writeFully(source.containerFd, scratch, length, source.dataOffset + alignedStart))
            return failed;
        done += take;
    }
    return static_cast<int>(done);
}

// libfuse is C: nothing may be thrown through it. The cipher only throws on misuse (a
// partial sector), which the size checks at start-up rule out; should it happen anyway the
// request fails with EIO instead of ending the process.
int onRead(const char* path, char* out, std::size_t size, off_t offset, fuse_file_info*)
{
    try {
        return readBlock(path, out, size, offset);
    }
    catch (const std::exception&) {
        return -EIO;
    }
}

int onWrite(const char* path, const char* in, std::size_t size, off_t offset, fuse_file_info*)
{
    try {
        return writeBlock(path, in, size, offset);
    }
    catch (const std::exception&) {
        return -EIO;
    }
}

int onFsync(const char* path, int, fuse_file_info*)
{
    if (!isBlockFile(path))
        return -ENOENT;
    return ::fdatasync(state().source.containerFd) == 0 ? 0 : -errno;
}

int onFlush(const char*, fuse_file_info*)
{
    return 0;
}

int onTruncate(const char* path, off_t size, fuse_file_info*)
{
    if (!isBlockFile(path))
        return -ENOENT;
    return static_cast<std::uint64_t>(size) == state().source.dataSize ? 0 : -EPERM;
}

int onStatfs(const char*, struct statvfs* status)
{
    std::memset(status, 0, sizeof *status);
    status->f_bsize = status->f_frsize = state().source.cipher->sectorSize();
    status->f_blocks = state().source.dataSize / status->f_frsize;
    status->f_files = 1;
    status->f_namemax = 255;
    return 0;
}

} // namespace

bool serveBlockFile(const std::filesystem::path& mountDir, const std::string& uuid, const BlockFileSource& source,
                    const std::function<void()>& ready, std::string& error)
{
    ServerState server;
    server.source = source;
    server.scratch.resize(kChunk + 2 * source.cipher->sectorSize());

    fuse_operations operations{};
    operations.init = onInit;
    operations.getattr = onGetattr;
    operations.readdir = onReaddir;
    operations.open = onOpen;
    operations.read = onRead;
    operations.write = onWrite;
    operations.fsync = onFsync;
    operations.flush = onFlush;
    operations.truncate = onTruncate;
    operations.statfs = onStatfs;

    const std::string options = "fsname=parley:" + uuid + ",subtype=parley-volume";
    std::vector<std::string> arguments{"parley-volume", "-o", options};
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
    fuse* session = fuse_new(&args, &operations, sizeof operations, &server);
    fuse_opt_free_args(&args);
    if (session == nullptr) {
        error = "cannot set up the FUSE session";
        return false;
    }
    if (fuse_mount(session, mountDir.c_str()) != 0) {
        fuse_destroy(session);
        error = "cannot mount the FUSE block file at " + mountDir.string() + " (is /dev/fuse there?)";
        return false;
    }
    ready();
    // Requests are served one at a time: the cipher contexts and the scratch buffer need no
    // lock, and recordings need tens of MB/s, not the hundreds this gives.
    fuse_loop(session);
    fuse_unmount(session);
    fuse_destroy(session);
    return true;
}

} // namespace parley::volume
