// Turns a desired TableSpec into an immutable ServiceSnapshot (control side only).
//
// Stateful across builds so that published tables stay compatible with the flows workers
// already track: a VIP keeps its slot (per-VIP counters), a backend keeps its slot while its
// (VIP, identity) exists, and a slot reused for a different backend gets a new generation, so
// stale flow references are detected.
//
// Incremental: the builder keeps, per VIP, the service spec it last built. A service equal to
// it is neither validated again nor re-planned (its references and Maglev table are reused;
// only its backends' next hops are looked up again), so one changed backend among many
// services costs about its own service. A changed service whose Maglev inputs (identities,
// effective weights, table size) are the same keeps its table too.
//
// build() validates everything first: an invalid spec changes no state and returns every
// problem with its path. Thread-safety: one control thread.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/service_snapshot.h"
#include "service/service_spec.h"

namespace edgelb {

// Where the control side learns next-hop MACs of backends that have none configured (the
// kernel's neighbour table; see kernel/neighbor_table.h). Called only during build().
class NextHopResolver {
 public:
  virtual ~NextHopResolver() = default;
  // The MAC to send toward `destination` (the host itself when on-link, else its gateway),
  // or nullopt while unknown.
  virtual std::optional<MacAddress> next_hop(const IpAddress& destination) const = 0;
  // Called when a valid spec starts building: the lookups that follow are the whole set the
  // new table depends on.
  virtual void begin_build() const {}
};

struct BuildResult {
  std::unique_ptr<ServiceSnapshot> snapshot;  // null when errors is non-empty
  FieldErrors errors;
};

// A service's VIP (port and protocol first: keys of one VIP address differ early, then family
// and the 16 address bytes), the key under which the builder remembers it.
constexpr size_t kVipKeySize = 20;
using VipKey = std::array<uint8_t, kVipKeySize>;
VipKey vip_key(const ServiceSpec& s);

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(ForwardingGlobals globals);

  BuildResult build(const TableSpec& spec);
  FieldErrors validate(const TableSpec& spec) const;
  const ForwardingGlobals& globals() const { return globals_; }
  // Optional, not owned; must outlive the builder. Consulted for backends without a `mac`.
  void set_resolver(const NextHopResolver* r) { resolver_ = r; }
  // Node drain: every snapshot built from now on carries it (ServiceSnapshot::draining).
  void set_draining(bool on) { draining_ = on; }
  bool draining() const { return draining_; }
  // Maglev tables built (not reused) by the last successful build().
  size_t last_maglev_builds() const { return last_maglev_builds_; }

 private:
  struct SlotAllocator {
    std::vector<uint16_t> generation;
    std::vector<uint32_t> free_slots;
    uint32_t next = 0;
  };
  // Backends removed from a surviving service: still valid for their existing flows (as
  // drain) until `until`; re-adding one in time revives the same reference.
  struct Retired {
    uint32_t ref;
    BackendEntry entry;
    std::chrono::steady_clock::time_point until;
  };
  // One VIP as the last successful build left it.
  struct ServiceState {
    uint32_t slot = 0;
    ServiceSpec spec;                          // as built (so known to be valid)
    std::vector<std::string> identities;       // of spec.backends, in order
    std::vector<uint32_t> backend_refs;        // of spec.backends, in order
    std::map<std::string, Retired> retired;    // identity -> removed backend in its grace time
    std::vector<MaglevBackend> maglev_inputs;  // what `maglev` was built from
    uint32_t maglev_size = 0;
    std::shared_ptr<const MaglevTable> maglev;  // null until a non-L7 build
  };
  // What one build does with a service of the spec (see build()).
  struct ServicePlan {
    ServiceState* state = nullptr;               // null: a VIP new in this build
    bool changed = true;                         // not equal to state->spec
    std::vector<std::string> identities;         // of the spec's backends; only when changed
    std::vector<std::string> sorted_identities;  // the same, sorted
    bool wants(const std::string& id) const {
      return std::binary_search(sorted_identities.begin(), sorted_identities.end(), id);
    }
  };

  // Whether the last build had this VIP's service exactly like `s` (so `s` is valid).
  bool built_as(const ServiceSpec& s) const;
  // validate() given which services equal their last build (those are valid already).
  FieldErrors validate(const TableSpec& spec, const std::vector<char>& unchanged) const;
  void release_removed(const std::vector<ServicePlan>& plans, std::chrono::steady_clock::time_point now);
  void fill_backend(BackendEntry& be, uint32_t ref, const ServiceSpec& s, const BackendSpec& b, uint32_t slot) const;
  void plan_changed(ServiceState& st, const ServiceSpec& s, std::vector<std::string> identities);

  ForwardingGlobals globals_;
  const NextHopResolver* resolver_ = nullptr;
  std::map<VipKey, ServiceState> services_;
  SlotAllocator service_alloc_;
  SlotAllocator backend_alloc_;
  std::vector<BackendEntry> last_backends_;  // of the last successful build
  bool draining_ = false;
  size_t last_maglev_builds_ = 0;
};

// A backend's Maglev identity: its configured one, else "<address>:<port>".
std::string backend_identity(const BackendSpec& b);

}  // namespace edgelb
