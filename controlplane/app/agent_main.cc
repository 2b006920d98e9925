// edgelb-agent: runs the pool instances of one appliance node (see agent/agent.h and
// docs/agent.md). Flags are parsed here; everything else is the agent library.
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <thread>

#include "agent/agent.h"
#include "common/stop_signals.h"

int main(int argc, char** argv) {
  CLI::App app{"edgelb-agent: claims pool instances, renders and supervises HAProxy for them"};
  std::string config_file;
  app.add_option("-c,--config", config_file, "the agent's YAML configuration (docs/agent.md)")->required();
  CLI11_PARSE(app, argc, argv);

  edgelb::cp::AgentConfig config;
  try {
    config = edgelb::cp::AgentConfig::from_file(config_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-agent: %s\n", e.what());
    return 2;
  }
  // SIGINT/SIGTERM are taken by one thread that asks the agent to stop; no other thread sees
  // them. SIGPIPE is ignored (a closed socket is an error return, not a death).
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals = edgelb::cp::block_stop_signals();
  try {
    edgelb::cp::Agent agent(config);
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      agent.stop();
    });
    int rc = 0;
    try {
      agent.run([] { sd_notify(0, "READY=1\nSTATUS=serving cached pools, reconciling"); });
      sd_notify(0, "STOPPING=1");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "edgelb-agent: %s\n", e.what());
      rc = 1;
    }
    pthread_kill(waiter.native_handle(), SIGTERM);  // release the waiter if no signal came
    waiter.join();
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-agent: %s\n", e.what());
    return 1;
  }
}
