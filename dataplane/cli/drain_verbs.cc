#include "cli/drain_verbs.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/dpctl_support.h"

namespace edgelb::dpctl {
namespace {

grpc::Status tracked_flows(ControlClient& client, uint64_t* flows) {  // all workers
  pb::Stats s;
  const grpc::Status status = client.get_stats(&s);
  *flows = 0;
  for (const auto& w : s.workers()) *flows += w.flows();
  return status;
}

// Until the tracked flows fall to --until-flows, or --timeout.
int wait_drained(const DrainVerbs& v, ControlClient& client) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    uint64_t flows = 0;
    const grpc::Status st = tracked_flows(client, &flows);
    if (!st.ok()) return report(st);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (flows <= v.until_flows) {
      std::printf("drained: %llu flows tracked after %.0f s\n", static_cast<unsigned long long>(flows), waited);
      return 0;
    }
    if (waited >= v.timeout_s) {
      std::printf("still %llu flows tracked after %.0f s (--timeout %u)\n", static_cast<unsigned long long>(flows),
                  waited, v.timeout_s);
      return 7;
    }
    std::printf("draining: %llu flows tracked\n", static_cast<unsigned long long>(flows));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int run_drain(const DrainVerbs& v, ControlClient& client, bool json) {
  pb::DrainReply r;
  grpc::Status st;
  if (v.status) {
    pb::VersionReply ver;
    uint64_t flows = 0;
    st = client.get_version(&ver);
    if (st.ok()) st = tracked_flows(client, &flows);
    if (!st.ok()) return report(st);
    r.set_draining(ver.draining());
    r.set_flows(flows);
    r.set_table_version(ver.table_version());
  } else {
    st = client.set_drain(!v.off, &r);
    if (!st.ok()) return report(st);
  }
  if (json)
    print_json(r);
  else
    std::printf("%s: %llu flows tracked, table version %llu\n",
                r.draining() ? "draining (new flows are dropped as node_draining)" : "not draining (taking new flows)",
                static_cast<unsigned long long>(r.flows()), static_cast<unsigned long long>(r.table_version()));
  if (!v.wait || !r.draining()) return 0;
  return wait_drained(v, client);
}

}  // namespace

void add_drain_verbs(CLI::App& app, DrainVerbs* v) {
  v->drain = app.add_subcommand(
      "drain",
      "drain the node: tracked flows go on, new ones are dropped (node_draining); --off takes new flows again");
  v->drain->add_flag("--off", v->off, "stop draining");
  v->drain->add_flag("--status", v->status, "print whether the node drains and its flows; change nothing");
  v->drain->add_flag("--wait", v->wait, "then wait until the tracked flows fall to --until-flows");
  v->drain->add_option("--until-flows", v->until_flows, "--wait: flows left that count as drained (default 0)");
  v->drain->add_option("--timeout", v->timeout_s, "--wait: give up after this many seconds (default 300)");
}

bool run_drain_verbs(const DrainVerbs& v, ControlClient& client, bool json, int* exit) {
  if (!*v.drain) return false;
  *exit = run_drain(v, client, json);
  return true;
}

}  // namespace edgelb::dpctl
