#include <parley/storage/schema.h>

#include <array>

namespace parley::storage {
namespace {

// Append only: a released migration never changes (databases in the field have run it).
const std::array<Migration, 9> kMigrations{{
    {1,
     "installation",
     {
         // One row naming this installation; backups, logs and (later) router-node
         // registration use it to tell installations apart.
         "CREATE TABLE installation ("
         "  id INTEGER PRIMARY KEY CHECK (id = 1),"
         "  installation_id TEXT NOT NULL,"
         "  created_at TEXT NOT NULL)",
         "INSERT INTO installation (id, installation_id, created_at) VALUES (1,"
         "  lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
     }},
    {2,
     "accounts_sessions_audit",
     {
         "CREATE TABLE users ("
         "  id INTEGER PRIMARY KEY,"
         "  username TEXT NOT NULL UNIQUE,"
         "  display_name TEXT NOT NULL,"
         "  role TEXT NOT NULL CHECK (role IN ('admin', 'auditor', 'user')),"
         "  source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap')),"
         "  password_hash TEXT NOT NULL DEFAULT '',"
         "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
         "  created_at TEXT NOT NULL,"
         "  updated_at TEXT NOT NULL)",
         // Only the SHA-256 of a session token is stored: a copy of the database does not
         // let anyone take over a session.
         "CREATE TABLE sessions ("
         "  token_hash TEXT PRIMARY KEY,"
         "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
         "  csrf_token TEXT NOT NULL,"
         "  created_at INTEGER NOT NULL,"
         "  last_seen_at INTEGER NOT NULL,"
         "  expires_at INTEGER NOT NULL,"
         "  source_address TEXT NOT NULL)",
         "CREATE INDEX sessions_user ON sessions(user_id)",
         // The audit log: append-only, each entry chained to the previous by SHA-256.
         "CREATE TABLE audit_log ("
         "  seq INTEGER PRIMARY KEY,"
         "  time TEXT NOT NULL,"
         "  actor TEXT NOT NULL,"
         "  source_address TEXT NOT NULL,"
         "  action TEXT NOT NULL,"
         "  target TEXT NOT NULL,"
         "  outcome TEXT NOT NULL,"
         "  details TEXT NOT NULL,"
         "  prev_hash TEXT NOT NULL,"
         "  hash TEXT NOT NULL)",
         "CREATE INDEX audit_log_time ON audit_log(time)",
         "CREATE INDEX audit_log_actor ON audit_log(actor)",
         "CREATE INDEX audit_log_action ON audit_log(action)",
         // The newest entry, MACed with the installation's audit key: removing entries from
         // the end of the chain is detected too.
         "CREATE TABLE audit_anchor ("
         "  id INTEGER PRIMARY KEY CHECK (id = 1),"
         "  head_seq INTEGER NOT NULL,"
         "  head_hash TEXT NOT NULL,"
         "  mac TEXT NOT NULL)",
         // Retention: the last pruned entry, MACed, from which the remaining chain continues.
         "CREATE TABLE audit_checkpoint ("
         "  seq INTEGER PRIMARY KEY,"
         "  hash TEXT NOT NULL,"
         "  pruned INTEGER NOT NULL,"
         "  created_at TEXT NOT NULL,"
         "  mac TEXT NOT NULL)",
         "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
         "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
         "CREATE TRIGGER audit_log_prune_only BEFORE DELETE ON audit_log "
         "WHEN OLD.seq > COALESCE((SELECT MAX(seq) FROM audit_checkpoint), 0) "
         "BEGIN SELECT RAISE(ABORT, 'audit entries are removed only by retention pruning'); END",
         "CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint "
         "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
         "CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint "
         "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
         // Settings the server remembers between starts (the last configuration, to audit
         // changes to it).
         "CREATE TABLE server_state ("
         "  key TEXT PRIMARY KEY,"
         "  value TEXT NOT NULL)",
     }},
    {3,
     "rooms_meetings_invitations",
     {
         // Personal rooms (one per user) and scheduled meetings share one table: both are
         // joined the same way. The link secret and PIN are kept readable because the owner
         // shows them to the people invited; they are compared in constant time.
         "CREATE TABLE rooms ("
         "  id INTEGER PRIMARY KEY,"
         "  kind TEXT NOT NULL CHECK (kind IN ('personal', 'meeting')),"
         "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
         "  meeting_id INTEGER NOT NULL UNIQUE CHECK (meeting_id BETWEEN 100000000 AND 999999999),"
         "  title TEXT NOT NULL,"
         "  link_secret TEXT NOT NULL UNIQUE,"
         "  pin TEXT NOT NULL DEFAULT '',"
         "  waiting_room INTEGER NOT NULL CHECK (waiting_room IN (0, 1)),"
         "  guests_allowed INTEGER NOT NULL CHECK (guests_allowed IN (0, 1)),"
         "  users_wait INTEGER NOT NULL CHECK (users_wait IN (0, 1)),"
         "  locked INTEGER NOT NULL CHECK (locked IN (0, 1)),"
         "  starts_at INTEGER,"
         "  ends_at INTEGER,"
         "  created_at INTEGER NOT NULL)",
         "CREATE UNIQUE INDEX rooms_one_personal ON rooms(owner_id) WHERE kind = 'personal'",
         "CREATE INDEX rooms_ends_at ON rooms(ends_at) WHERE kind = 'meeting'",
         "CREATE TABLE room_moderators ("
         "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
         "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
         "  PRIMARY KEY (room_id, user_id))",
         // Per-participant access keys: only the SHA-256 of a key is stored, as for sessions.
         "CREATE TABLE room_invitations ("
         "  id INTEGER PRIMARY KEY,"
         "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
         "  key_hash TEXT NOT NULL UNIQUE,"
         "  name TEXT NOT NULL,"
         "  created_by TEXT NOT NULL,"
         "  created_at INTEGER NOT NULL,"
         "  revoked_at INTEGER)",
         "CREATE INDEX room_invitations_room ON room_invitations(room_id)",
     }},
    {4,
     "recordings",
     {
         // A recording outlives its room (retention decides when it goes), so room_id is
         // kept without a foreign key; the files are in the recording volume under
         // `directory`.
         "CREATE TABLE recordings ("
         "  id INTEGER PRIMARY KEY,"
         "  room_id INTEGER NOT NULL,"
         "  room_title TEXT NOT NULL,"
         "  owner_id INTEGER,"
         "  started_by TEXT NOT NULL,"
         "  started_at INTEGER NOT NULL,"
         "  stopped_at INTEGER,"
         "  state TEXT NOT NULL CHECK (state IN ('recording', 'recorded', 'failed')),"
         "  directory TEXT NOT NULL,"
         "  error TEXT NOT NULL DEFAULT '')",
         "CREATE INDEX recordings_room ON recordings(room_id)",
         "CREATE TABLE recording_tracks ("
         "  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,"
         "  file TEXT NOT NULL,"
         "  track_id TEXT NOT NULL,"
         "  label TEXT NOT NULL,"
         "  codec TEXT NOT NULL,"
         "  first_ms INTEGER NOT NULL,"
         "  last_ms INTEGER NOT NULL,"
         "  frames INTEGER NOT NULL,"
         "  PRIMARY KEY (recording_id, file))",
     }},
    {5,
     "recording composition, access and retention",
     {
         // The playable file composed from the tracks, and how its composition went.
         "ALTER TABLE recordings ADD COLUMN composition TEXT NOT NULL DEFAULT 'pending'"
         "  CHECK (composition IN ('pending', 'composing', 'done', 'failed'))",
         "ALTER TABLE recordings ADD COLUMN compose_progress REAL NOT NULL DEFAULT 0",
         "ALTER TABLE recordings ADD COLUMN compose_attempts INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE recordings ADD COLUMN compose_error TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE recordings ADD COLUMN compose_seconds REAL",
         "ALTER TABLE recordings ADD COLUMN file TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE recordings ADD COLUMN duration_ms INTEGER",
         "ALTER TABLE recordings ADD COLUMN size_bytes INTEGER",
         "ALTER TABLE recordings ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE recordings ADD COLUMN integrity TEXT NOT NULL DEFAULT ''"
         "  CHECK (integrity IN ('', 'ok', 'mismatch', 'missing'))",
         "ALTER TABLE recordings ADD COLUMN verified_at INTEGER",
         // Days to keep, copied from the room when recording starts (the room may go
         // first); NULL means the server-wide setting.
         "ALTER TABLE recordings ADD COLUMN retention_days INTEGER CHECK (retention_days >= 0)",
         "ALTER TABLE rooms ADD COLUMN recording_retention_days INTEGER CHECK (recording_retention_days >= 0)",
         "CREATE TABLE recording_shares ("
         "  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,"
         "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
         "  granted_by TEXT NOT NULL,"
         "  granted_at INTEGER NOT NULL,"
         "  PRIMARY KEY (recording_id, user_id))",
         "CREATE INDEX recording_shares_user ON recording_shares(user_id)",
         // owner_id has no foreign key (migration 4) and user ids are reused: a deleted
         // owner's recordings must not pass to the next account given that id. They are
         // then the admins'.
         "CREATE TRIGGER recordings_owner_deleted AFTER DELETE ON users BEGIN "
         "  UPDATE recordings SET owner_id = NULL WHERE owner_id = OLD.id; END",
         "UPDATE recordings SET owner_id = NULL WHERE owner_id IS NOT NULL AND "
         "  owner_id NOT IN (SELECT id FROM users)",
         // Recordings from before composition existed: those without tracks have nothing
         // to compose.
         "UPDATE recordings SET composition = 'failed', compose_error = 'no media was recorded' "
         "  WHERE state = 'failed' OR (state = 'recorded' AND error <> 'interrupted' AND "
         "  NOT EXISTS (SELECT 1 FROM recording_tracks WHERE recording_id = recordings.id))",
     }},
    {6,
     "invitation joins",
     {
         // Who has used an invitation key, for its issuer: how often and when last. (Each
         // join is also in the audit log; this is the count the room page shows.)
         "ALTER TABLE room_invitations ADD COLUMN joins INTEGER NOT NULL DEFAULT 0 CHECK (joins >= 0)",
         "ALTER TABLE room_invitations ADD COLUMN last_joined_at INTEGER",
     }},
    {7,
     "last login",
     {
         // For the admin console's user list: when each person last signed in.
         "ALTER TABLE users ADD COLUMN last_login_at TEXT",
     }},
    {8,
     "recording track names and hashes",
     {
         // Whose track it is, as they were called in the meeting (drawn on their picture,
         // named in an export), and the SHA-256 of the track file, checked like the
         // composed file's.
         "ALTER TABLE recording_tracks ADD COLUMN display_name TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE recording_tracks ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''",
     }},
    {9,
     "sip endpoints",
     {
         // Meeting-room systems and desk phones that call in over SIP. Only the digest HA1
         // (MD5 of "username:realm:password", RFC 2617) is kept, never the password; it
         // holds the realm, so the realm it was made for is stored beside it: after
         // sip.realm changes, the endpoint needs a new password.
         "CREATE TABLE sip_endpoints ("
         "  username TEXT PRIMARY KEY,"
         "  display_name TEXT NOT NULL,"
         "  realm TEXT NOT NULL,"
         "  ha1 TEXT NOT NULL,"
         "  created_by TEXT NOT NULL,"
         "  created_at INTEGER NOT NULL,"
         "  password_changed_at INTEGER NOT NULL)",
     }},
}};

} // namespace

std::span<const Migration> schemaMigrations()
{
    return kMigrations;
}

} // namespace parley::storage
