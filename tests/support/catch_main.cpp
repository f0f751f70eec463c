#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>

int main(int argc, char* argv[])
{
    // As in parleyd: a peer that closes a connection mid-write must not kill the process
    // (libldap and OpenSSL write to sockets without MSG_NOSIGNAL).
    std::signal(SIGPIPE, SIG_IGN);
    return Catch::Session().run(argc, argv);
}
