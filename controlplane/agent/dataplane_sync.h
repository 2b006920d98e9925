// Pushes the agent's fast-path plan (fastpath_plan.h) into the node's edgelb-dataplane through
// its local control service (dataplane/control/control_client.h), on a thread of its own so
// that a slow or absent dataplane never holds up HAProxy.
//
// Protocol:
//  - not in sync (start, reconnect, a version conflict, the dataplane restarted): GetServices,
//    and when the live table differs from the wanted one, one ApplyState at live version + 1
//    (idempotent: an agent restarted against a dataplane that already serves its plan
//    publishes nothing);
//  - in sync: each new plan becomes the smallest edits (a backend's weight/state for existing
//    backends, the whole service for anything else, a delete for services gone), sent as one
//    ApplyChanges call with the version it expects: one table and one grace period however
//    many services changed. ABORTED (another writer), NOT_FOUND, UNAVAILABLE: back to not in
//    sync;
//  - when the dataplane refuses that call (INVALID_ARGUMENT: no tunnel source configured, over
//    the backend limit, ...) the edits are sent again one call each (SetBackend,
//    UpsertService, DeleteService), so the refused service keeps what it served before (or
//    stays absent) and its reason is reported until the wanted spec changes, and the rest is
//    applied. So is a plan of over kMaxChangesPerCall (4096) edits, and every plan for a dataplane without
//    ApplyChanges (UNIMPLEMENTED: an older version);
//  - every 250 ms GetVersion: a table version we did not write, or an uptime that went back,
//    means someone else wrote or the dataplane restarted: resync.
// The agent owns the dataplane's whole table: services it does not plan are removed.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/collaborators.h"
#include "dataplane/service/service_spec.h"

namespace edgelb {
class ControlClient;
}

namespace edgelb::cp {

class DataplaneSync final : public DataplaneSink {
 public:
  // `on_status_change` runs on the sync thread after the status changed (version, refusals,
  // connection); it must not call back into this object.
  DataplaneSync(std::string control_socket, std::function<void()> on_status_change);
  ~DataplaneSync() override;
  DataplaneSync(const DataplaneSync&) = delete;
  DataplaneSync& operator=(const DataplaneSync&) = delete;

  // The services wanted now (unique names). Returns its generation. Until the first call the
  // dataplane is left as it is (a restarting agent must not publish an empty table).
  uint64_t set_desired(std::vector<ServiceSpec> services) override;
  DataplaneSyncStatus status() const override;

 private:
  using Specs = std::map<std::string, ServiceSpec>;
  void run();
  void resync(const Specs& want);
  // One edit from applied_ towards a target; `spec` points into that target.
  struct PlannedEdit {
    enum Kind { kDelete, kSetBackend, kUpsert } kind;
    std::string name;
    const ServiceSpec* spec;  // kSetBackend, kUpsert
    size_t backend;           // kSetBackend: the index in spec->backends
  };
  std::vector<PlannedEdit> plan_edits(const Specs& t) const;
  void incremental(const Specs& want);
  void one_edit_per_call(const std::vector<PlannedEdit>& edits);
  Specs target(const Specs& want) const;  // want, with refused services kept at what they were
  void refuse(const std::string& name, const ServiceSpec& spec, const std::string& why);
  void check_version();
  void lost(const std::string& why);

  std::unique_ptr<ControlClient> client_;
  std::function<void()> on_change_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Specs desired_;
  bool has_desired_ = false;  // nothing is written before the first set_desired()
  uint64_t desired_gen_ = 0;
  DataplaneSyncStatus status_;

  // Owned by the thread.
  Specs applied_;             // what the live table holds of ours (when in sync)
  Specs refused_spec_;        // the wanted spec the dataplane refused, by name
  uint64_t applied_gen_ = 0;  // the generation applied_ reflects
  uint64_t last_uptime_ms_ = 0;
  bool changes_unsupported_ = false;  // the dataplane answered ApplyChanges with UNIMPLEMENTED
  std::thread thread_;
};

}  // namespace edgelb::cp
