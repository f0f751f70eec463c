#include "parleyd_application.h"

#include <csignal>
#include <pthread.h>
#include <sys/stat.h>

int main(int argc, char** argv)
{
    // Block the termination signals before any thread exists, so every thread inherits the
    // mask and the main thread's sigwait() (ServerApplication) is the only receiver. Without
    // this a SIGTERM landing on a worker thread would kill the process mid-request.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGQUIT);
    // SIGHUP re-reads the TLS certificate files (HangupSignal), instead of ending the process.
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // Everything parleyd creates (database, keys, logs) is for its own user only.
    ::umask(077);
    // A client that disconnects mid-write must not kill the server.
    std::signal(SIGPIPE, SIG_IGN);

    parley::parleyd::ParleydApplication application;
    return application.run(argc, argv);
}
