// edgelb-mesos-sim: a Mesos master simulator speaking the v1 operator API's SUBSCRIBE, for the
// tests and the demo (docs/mesos.md). Writes its port to --ready-file once serving.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/stop_signals.h"
#include "mesos-sim/sim_master.h"

int main(int argc, char** argv) {
  using namespace edgelb::mesos_sim;
  CLI::App app{"edgelb-mesos-sim: a Mesos master simulator (operator API SUBSCRIBE, RecordIO, 307, ZooKeeper)"};
  SimOptions o;
  std::string ready_file, scenario;
  bool follower = false;
  app.add_option("--host", o.listen_host, "address to listen on and advertise")->capture_default_str();
  app.add_option("--port", o.port, "port (0: any)")->capture_default_str();
  app.add_option("--heartbeat", o.heartbeat_seconds, "heartbeat_interval_seconds (0: none)")->capture_default_str();
  app.add_option("--zk", o.zk, "register as json.info_<seq> in this group and elect through it (zk://host:port/mesos)");
  app.add_flag("--follower", follower, "without --zk: start as a non-leader that redirects to --leader");
  app.add_option("--leader", o.leader, "host:port of the leader (with --follower)");
  app.add_option("--replay", o.replay_file, "JSON-lines events to stream (first line SUBSCRIBED: the initial state)");
  app.add_option("--replay-interval-ms", o.replay_interval_ms, "pause between replayed events")->capture_default_str();
  app.add_option("--scenario", scenario, "JSON array of operations applied at start (see /sim/v1/op)");
  app.add_option("--chunk-bytes", o.chunk_bytes, "split every record into HTTP chunks of this many bytes");
  app.add_option("--id", o.id, "MasterInfo id")->capture_default_str();
  app.add_option("--ready-file", ready_file, "write the port here once serving");
  CLI11_PARSE(app, argc, argv);
  o.leading = !follower;

  sigset_t sigs = edgelb::cp::block_stop_signals();
  try {
    SimMaster sim(o);
    sim.start();
    if (!scenario.empty()) sim.apply_scenario(scenario);
    std::fprintf(stderr, "edgelb-mesos-sim: serving SUBSCRIBE on %s:%d (%s)\n", o.listen_host.c_str(), sim.port(),
                 !o.zk.empty() ? o.zk.c_str()
                 : o.leading   ? "leader"
                               : "follower");
    if (!ready_file.empty()) std::ofstream(ready_file) << sim.port() << "\n";
    std::thread stopper([&] {
      int sig = 0;
      sigwait(&sigs, &sig);
      sim.stop();
    });
    sim.run();
    stopper.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-mesos-sim: %s\n", e.what());
    return 1;
  }
  return 0;
}
