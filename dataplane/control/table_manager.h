// The single writer of the dataplane's service table. Every change (startup file, SIGHUP,
// the local control service, a neighbour MAC change) goes through here: the desired TableSpec
// is validated whole, built into a snapshot and published through RCU; on any error nothing
// changes and the previous table keeps serving.
//
// Versions: apply() publishes unconditionally (the operator's file is the truth); the control
// service uses apply_state() (versioned and idempotent) and modify() (edits of the live state
// with an optional expected version), see ChangeOutcome.
//
// Thread-safety: all methods may be called from any thread (one mutex serialises writers and
// read(); workers never see it). Hooks and read() callbacks run under that mutex, so the
// snapshot they see cannot be freed by a concurrent publish. A writer returns once its table
// is live on every worker (an RCU grace period), but waits for that outside the mutex, so
// concurrent writers overlap their waits (liburcu lets them share grace periods).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "service/snapshot_builder.h"
#include "service/snapshot_publisher.h"

namespace edgelb {

struct ChangeOutcome {
  enum Kind {
    kApplied,    // published; version is the new live version
    kUnchanged,  // identical to the live state (idempotent repeat); nothing published
    kStale,      // apply_state: version older than live, or same version with other content
    kConflict,   // modify: expected_version is not the live version
    kInvalid,    // validation failed (errors); nothing published
    kNotFound,   // modify: the edit did not find its target (errors say what)
  };
  Kind kind = kApplied;
  uint64_t version = 0;  // the live version after the call
  FieldErrors errors;
};

class TableManager {
 public:
  TableManager(ForwardingGlobals globals, SnapshotPublisher& publisher);

  // Consulted by builds for backends without a configured MAC; not owned.
  void set_resolver(const NextHopResolver* r);
  // Runs after every publish with the spec now current (e.g. put VIP addresses on the kernel
  // side); workers switch to it within the grace period that follows.
  void set_on_publish(std::function<void(const TableSpec&)> hook);

  // Validates, builds and publishes `spec`. Returns the problems (nothing published) or empty.
  FieldErrors apply(const TableSpec& spec);
  // Versioned apply of the whole state: a newer version is validated and published; the live
  // version with identical content is a no-op (kUnchanged); an older version, or the live
  // version with different content, is kStale.
  ChangeOutcome apply_state(const TableSpec& spec);
  // Edits a copy of the live state with `edit` and publishes it as live version + 1.
  // `edit` returns problems (kInvalid) or sets *not_found (kNotFound); an edit that leaves the
  // state equal to the live one is kUnchanged. expected_version 0 accepts any live version.
  // Concurrent calls are committed together: edits queued while a build runs are applied in
  // queue order, each against the version the previous one produced (so each applied edit
  // still gets its own version and expected_version checks), and published as one table
  // carrying the last of those versions. An edit that makes the table invalid fails alone.
  // `edit` may run more than once (on fresh copies) and must do the same each time.
  using Edit = std::function<FieldErrors(TableSpec& spec, bool* not_found)>;
  ChangeOutcome modify(uint64_t expected_version, const Edit& edit);
  // Rebuilds the live spec (next hops may have changed) and publishes it; no-op before the
  // first apply().
  void rebuild();
  // Node drain on or off: kept across every later change (it is not part of the TableSpec the
  // agent sends) and published at once with the live spec (same version). Returns once the
  // workers run with it.
  void set_draining(bool on);
  bool draining() {
    std::lock_guard lk(mu_);
    return builder_.draining();
  }

  // Runs f(live spec, current snapshot or null) under the writer lock.
  template <typename F>
  auto read(F&& f) {
    std::lock_guard lk(mu_);
    return f(static_cast<const TableSpec&>(live_), publisher_.current());
  }
  const ForwardingGlobals& globals() const { return builder_.globals(); }
  // modify() calls queued and not yet committed (diagnostics and tests).
  size_t pending_edits() {
    std::lock_guard q(queue_mu_);
    return queue_.size();
  }

 private:
  // Builds and swaps in `spec`; the caller waits on `replaced` after unlocking.
  FieldErrors apply_locked(TableSpec spec, SnapshotPublisher::Replaced& replaced);
  // A modify() call waiting to be committed; owned by its caller's stack. `out`, `done` and
  // `published` are written by the committer under mu_.
  struct PendingEdit {
    uint64_t expected_version;
    const Edit* edit;
    ChangeOutcome out;
    bool done = false;
    bool published = false;  // its batch published a table
  };
  void commit_queued_locked(SnapshotPublisher::Replaced& replaced);
  TableSpec run_edits_locked(const std::vector<PendingEdit*>& batch, bool validate_each, size_t* applied);
  std::mutex mu_;
  SnapshotBuilder builder_;
  SnapshotPublisher& publisher_;
  TableSpec live_;
  bool has_live_ = false;
  std::function<void(const TableSpec&)> on_publish_;
  std::mutex queue_mu_;              // guards queue_ only; taken inside mu_, never the reverse
  std::vector<PendingEdit*> queue_;  // modify() calls not yet committed
};

}  // namespace edgelb
