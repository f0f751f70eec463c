#include "metrics_commands.h"

#include <parley/portal/http/secret_token.h>
#include <parley/storage/metrics_token_store.h>

#include <iostream>

namespace parley::parleyctl {

int createMetricsToken(OfflineContext& context)
{
    const auto token = portal::randomToken();
    storage::MetricsTokenStore(*context.database).replace(portal::tokenHash(token));
    context.audit->append({context.actor.name, context.actor.address, "metrics.token_create", "metrics", "success"});
    // The token alone on stdout, so `parleyctl metrics create-token > file` gives the file a
    // scraper's bearer_token_file reads; the explanation goes to stderr.
    std::cout << token << std::endl;
    std::cerr << "This is the bearer token for GET /metrics; it is shown only this once and any\n"
                 "previous token no longer works. Give it to the scraper (Prometheus:\n"
                 "authorization.credentials_file) and keep it from anyone else.\n";
    return 0;
}

int revokeMetricsToken(OfflineContext& context)
{
    if (!storage::MetricsTokenStore(*context.database).revoke()) {
        std::cerr << "parleyctl: there is no metrics token" << std::endl;
        return 1;
    }
    context.audit->append({context.actor.name, context.actor.address, "metrics.token_revoke", "metrics", "success"});
    std::cout << "The metrics token is revoked; /metrics answers nobody until a new one is made." << std::endl;
    return 0;
}

} // namespace parley::parleyctl
