// Turns a desired TableSpec into an immutable ServiceSnapshot (control side only).
//
// Stateful across builds so that published tables stay compatible with the flows workers
// already track: a VIP keeps its slot (per-VIP counters), a backend keeps its slot while its
// (VIP, identity) exists, and a slot reused for a different backend gets a new generation, so
// stale flow references are detected. Maglev tables of services whose backend set, weights and
// states did not change are shared with the previous snapshot instead of rebuilt.
//
// build() validates everything first: an invalid spec changes no state and returns every
// problem with its path. Thread-safety: one control thread.
#pragma once

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

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(ForwardingGlobals globals);

  BuildResult build(const TableSpec& spec);
  FieldErrors validate(const TableSpec& spec) const;
  const ForwardingGlobals& globals() const { return globals_; }
  // Optional, not owned; must outlive the builder. Consulted for backends without a `mac`.
  void set_resolver(const NextHopResolver* r) { resolver_ = r; }
  // Maglev tables built (not reused) by the last successful build().
  size_t last_maglev_builds() const { return last_maglev_builds_; }

 private:
  struct SlotAllocator {
    std::vector<uint16_t> generation;
    std::vector<uint32_t> free_slots;
    uint32_t next = 0;
  };
  struct CachedMaglev {
    std::string fingerprint;
    std::shared_ptr<const MaglevTable> table;
  };

  ForwardingGlobals globals_;
  const NextHopResolver* resolver_ = nullptr;
  std::map<std::string, uint32_t> service_slots_;  // VIP key -> slot
  std::map<std::string, uint32_t> backend_refs_;   // VIP key + identity -> reference
  SlotAllocator service_alloc_;
  SlotAllocator backend_alloc_;
  std::map<std::string, CachedMaglev> maglev_cache_;  // VIP key -> table
  // Backends removed from a surviving service: still valid for their existing flows (as
  // drain) until `until`; re-adding one in time revives the same reference.
  struct Retired {
    uint32_t ref;
    BackendEntry entry;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, Retired> retired_;   // VIP key + identity -> retired backend
  std::vector<BackendEntry> last_backends_;  // of the last successful build
  size_t last_maglev_builds_ = 0;
};

// Map keys (binary, kVipKeySize bytes) for a service's VIP; and a backend's Maglev identity.
constexpr size_t kVipKeySize = 20;
std::string vip_key_string(const ServiceSpec& s);
std::string backend_identity(const BackendSpec& b);

}  // namespace edgelb
