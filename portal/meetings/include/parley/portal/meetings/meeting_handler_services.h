#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class RoomRegistry;
class RoomService;
class SignalingHub;
class SignalingReactor;
struct SignalingContext;

/// What the room, meeting and signaling endpoints work with; owned by the server.
struct MeetingHandlerServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    RoomService& rooms;
    RoomRegistry& registry;
    SignalingHub& signalingHub;
    SignalingReactor& signalingReactor;
    SignalingContext& signaling;
};

/// Base of this part's handlers: services() reaches the MeetingHandlerServices.
using MeetingHandler = ServiceHandler<MeetingHandlerServices>;

} // namespace parley::portal
