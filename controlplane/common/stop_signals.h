// SIGINT and SIGTERM in a process with threads: block_stop_signals() blocks them in the calling
// thread, which must be before any other thread starts (threads inherit the mask), so that no
// thread is interrupted by them; one thread then takes them with sigwait() on the set it
// returns and asks the process to stop. Header-only.
#pragma once

#include <pthread.h>
#include <signal.h>

namespace edgelb::cp {

inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace edgelb::cp
