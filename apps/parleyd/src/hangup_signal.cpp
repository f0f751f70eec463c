#include "hangup_signal.h"

#include <csignal>
#include <pthread.h>

namespace parley::parleyd {

HangupSignal::HangupSignal(std::function<void()> onHangup)
    : onHangup_(std::move(onHangup)), thread_([this] {
          sigset_t hangup;
          sigemptyset(&hangup);
          sigaddset(&hangup, SIGHUP);
          for (;;) {
              int received = 0;
              if (sigwait(&hangup, &received) != 0 || stopping_)
                  return;
              onHangup_();
          }
      })
{}

HangupSignal::~HangupSignal()
{
    stopping_ = true;
    // Wakes the thread's sigwait(); the signal is blocked, so it goes nowhere else.
    pthread_kill(thread_.native_handle(), SIGHUP);
    thread_.join();
}

} // namespace parley::parleyd
