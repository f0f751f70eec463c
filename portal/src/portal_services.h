#pragma once

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class AccountService;
class DirectoryHolder;
class RecordingLibrary;
class RoomRegistry;
class RoomService;
class SessionManager;
class SignalingHub;
struct SignalingContext;

/// The services request handlers call; owned by HttpsServer.
struct PortalServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    AccountService& accounts;
    SessionManager& sessions;
    DirectoryHolder& directory;
    RoomService& rooms;
    RoomRegistry& registry;
    SignalingHub& signalingHub;
    SignalingContext& signaling;
    RecordingLibrary& recordingLibrary;
};

} // namespace parley::portal
