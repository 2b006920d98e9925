// The dataplane's local control service (dataplane_control.proto) over a unix socket.
//
// Changes go through TableManager (validated whole, published through RCU, nothing changes
// on error); reads come from the hooks main() provides (aggregated stats, per-worker flow
// listings). gRPC runs its own threads; every entry point here is safe to call concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "conntrack/flow_query.h"
#include "control/stats_report.h"
#include "control/table_manager.h"

namespace grpc {
class Server;
}

namespace edgelb {

struct ControlHooks {
  std::function<StatsReport()> stats;                              // the statistics now
  std::function<bool(const FlowQuery&, FlowListing*)> list_flows;  // false: a worker timed out
  std::function<bool()> serving;                                   // workers running
  std::function<uint64_t()> publishes;                             // tables published so far
  std::function<void(bool)> on_drain;  // after SetDrain changed the drain (e.g. remember it on disk)
  uint32_t workers = 0;
};

class ControlServer {
 public:
  // Listens on the unix socket `path` (a stale socket file is replaced; the directory is
  // created; mode 0660). Throws std::runtime_error when it cannot listen.
  ControlServer(const std::string& path, TableManager& tables, ControlHooks hooks);
  ~ControlServer();  // stops accepting and waits for running calls
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  class Service;

 private:
  std::string path_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace edgelb
