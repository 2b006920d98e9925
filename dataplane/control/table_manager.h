// The single writer of the dataplane's service table. Every change (startup file, SIGHUP,
// the local control service, a neighbour MAC change) goes through here: the desired TableSpec
// is validated whole, built into a snapshot and published through RCU; on any error nothing
// changes and the previous table keeps serving.
//
// Thread-safety: all methods may be called from any thread (one mutex serialises writers;
// workers never see it). Hooks run under that mutex.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "service/snapshot_builder.h"
#include "service/snapshot_publisher.h"

namespace edgelb {

class TableManager {
 public:
  TableManager(ForwardingGlobals globals, SnapshotPublisher& publisher);

  // Consulted by builds for backends without a configured MAC; not owned.
  void set_resolver(const NextHopResolver* r);
  // Runs after every publish with the spec now live (e.g. put VIP addresses on the kernel side).
  void set_on_publish(std::function<void(const TableSpec&)> hook);

  // Validates, builds and publishes `spec`. Returns the problems (nothing published) or empty.
  std::vector<ValidationError> apply(const TableSpec& spec);
  // Rebuilds the live spec (next hops may have changed) and publishes it; no-op before the
  // first apply().
  void rebuild();

 private:
  std::vector<ValidationError> apply_locked(const TableSpec& spec);
  std::mutex mu_;
  SnapshotBuilder builder_;
  SnapshotPublisher& publisher_;
  TableSpec live_;
  bool has_live_ = false;
  std::function<void(const TableSpec&)> on_publish_;
};

}  // namespace edgelb
