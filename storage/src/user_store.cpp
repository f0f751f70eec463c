#include <parley/storage/database.h>
#include <parley/storage/user_store.h>

#include "text_search.h"

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

using Row = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
                        int, std::string, std::string, std::string>;

constexpr const char* kColumns =
    "id, username, display_name, role, source, password_hash, disabled, created_at, updated_at, "
    "COALESCE(last_login_at, '')";

User fromRow(const Row& row)
{
    User user;
    user.id = row.get<0>();
    user.username = row.get<1>();
    user.displayName = row.get<2>();
    user.role = parseRole(row.get<3>()).value_or(Role::User);
    user.source = row.get<4>();
    user.passwordHash = row.get<5>();
    user.disabled = row.get<6>() != 0;
    user.createdAt = row.get<7>();
    user.updatedAt = row.get<8>();
    user.lastLoginAt = row.get<9>();
    return user;
}

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// Username or display name contains the (folded) text; an empty text matches everyone.
constexpr const char* kMatches =
    "(instr(parley_fold(username), ?) > 0 OR instr(parley_fold(display_name), ?) > 0)";

} // namespace

std::string_view toString(Role role)
{
    switch (role) {
    case Role::Admin:
        return "admin";
    case Role::Auditor:
        return "auditor";
    case Role::User:
        return "user";
    }
    return "user";
}

std::optional<Role> parseRole(std::string_view text)
{
    if (text == "admin")
        return Role::Admin;
    if (text == "auditor")
        return Role::Auditor;
    if (text == "user")
        return Role::User;
    return std::nullopt;
}

User UserStore::create(User user)
{
    auto session = database_.session();
    std::string role(toString(user.role));
    int disabled = user.disabled ? 1 : 0;
    try {
        session << "INSERT INTO users (username, display_name, role, source, password_hash, "
                   "disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, " +
                       std::string(kNow) + ", " + kNow + ")",
            use(user.username), use(user.displayName), use(role), use(user.source),
            use(user.passwordHash), use(disabled), now;
    }
    catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        throw DuplicateUserError("a user named '" + user.username + "' already exists");
    }
    // Read back on the same connection: a second pooled one is not needed, and
    // last_insert_rowid() is per connection anyway.
    std::vector<Row> rows;
    session << "SELECT " + std::string(kColumns) + " FROM users WHERE id = last_insert_rowid()",
        into(rows), now;
    return fromRow(rows.at(0));
}

std::optional<User> UserStore::findById(std::int64_t id)
{
    auto session = database_.session();
    std::vector<Row> rows;
    Poco::Int64 key = id;
    session << "SELECT " + std::string(kColumns) + " FROM users WHERE id = ?", use(key), into(rows),
        now;
    if (rows.empty())
        return std::nullopt;
    return fromRow(rows.front());
}

std::optional<User> UserStore::findByUsername(const std::string& username)
{
    auto session = database_.session();
    std::vector<Row> rows;
    std::string key = username;
    session << "SELECT " + std::string(kColumns) + " FROM users WHERE username = ?", use(key),
        into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return fromRow(rows.front());
}

std::vector<User> UserStore::list(std::int64_t offset, std::int64_t limit, std::string_view text)
{
    auto session = database_.session();
    std::vector<Row> rows;
    Poco::Int64 from = offset;
    Poco::Int64 count = limit;
    std::string a = foldCase(text), b = a;
    session << "SELECT " + std::string(kColumns) + " FROM users WHERE " + kMatches +
                   " ORDER BY username LIMIT ? OFFSET ?",
        use(a), use(b), use(count), use(from), into(rows), now;
    std::vector<User> users;
    users.reserve(rows.size());
    for (const auto& row : rows)
        users.push_back(fromRow(row));
    return users;
}

std::vector<UserName> UserStore::searchEnabled(std::string_view text, std::int64_t limit)
{
    auto session = database_.session();
    const std::string needle = foldCase(text);
    std::string a = needle, b = needle, c = needle, d = needle;
    Poco::Int64 count = limit;
    std::vector<std::string> usernames, displayNames;
    session << "SELECT username, display_name FROM users WHERE disabled = 0 AND "
               "(instr(parley_fold(username), ?) > 0 OR instr(parley_fold(display_name), ?) > 0) "
               "ORDER BY (instr(parley_fold(username), ?) = 1 OR instr(parley_fold(display_name), ?) = 1) DESC, "
               "username LIMIT ?",
        use(a), use(b), use(c), use(d), use(count), into(usernames), into(displayNames), now;
    std::vector<UserName> users;
    users.reserve(usernames.size());
    for (std::size_t i = 0; i < usernames.size(); ++i)
        users.push_back({usernames[i], displayNames[i]});
    return users;
}

std::int64_t UserStore::count(std::string_view text)
{
    auto session = database_.session();
    Poco::Int64 total = 0;
    std::string a = foldCase(text), b = a;
    session << "SELECT count(*) FROM users WHERE " + std::string(kMatches), use(a), use(b), into(total), now;
    return total;
}

void UserStore::recordLogin(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    // Not updated_at: signing in does not change the account.
    session << "UPDATE users SET last_login_at = " + std::string(kNow) + " WHERE id = ?", use(key), now;
}

bool UserStore::update(const User& user)
{
    auto session = database_.session();
    std::string displayName = user.displayName;
    std::string role(toString(user.role));
    int disabled = user.disabled ? 1 : 0;
    Poco::Int64 id = user.id;
    session << "UPDATE users SET display_name = ?, role = ?, disabled = ?, "
               "updated_at = " + std::string(kNow) + " WHERE id = ?",
        use(displayName), use(role), use(disabled), use(id), now;
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed == 1;
}

bool UserStore::setPasswordHash(std::int64_t id, const std::string& passwordHash)
{
    auto session = database_.session();
    std::string hash = passwordHash;
    Poco::Int64 key = id;
    session << "UPDATE users SET password_hash = ?, updated_at = " + std::string(kNow) +
                   " WHERE id = ? AND source = 'local'",
        use(hash), use(key), now;
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed == 1;
}

bool UserStore::refreshDirectoryUser(std::int64_t id, const std::string& displayName, Role role)
{
    auto session = database_.session();
    std::string name = displayName;
    std::string roleName(toString(role));
    Poco::Int64 key = id;
    session << "UPDATE users SET display_name = ?, role = ?, updated_at = " + std::string(kNow) +
                   " WHERE id = ? AND source = 'ldap' AND disabled = 0",
        use(name), use(roleName), use(key), now;
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed == 1;
}

bool UserStore::remove(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    session << "DELETE FROM users WHERE id = ?", use(key), now;
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed == 1;
}

std::int64_t UserStore::countEnabledAdmins()
{
    auto session = database_.session();
    Poco::Int64 total = 0;
    session << "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0", into(total), now;
    return total;
}

} // namespace parley::storage
