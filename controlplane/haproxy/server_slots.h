// Server slots: how Mesos membership reaches HAProxy without a reload. Every services[] entry
// of every backend gets a group of named servers ("slots", s<service>_<k>) in haproxy.cfg;
// an endpoint occupies one slot, and task changes become runtime-API commands on that slot
// (runtime_api.h). A group has max(8, 2 x its endpoints) slots when it is (re)planned, so a
// backend can grow and shrink without a reload until a group runs out of free slots.
//
// Assignment is deterministic: plan() puts endpoints, sorted by (address, port), into the
// first slots; update() keeps every endpoint that is still there in its slot and gives new
// ones the lowest free slots, so identical inputs give identical slots and the rendered text
// does not change. A removed endpoint keeps its slot as `draining` (its connections finish)
// until the owner release()s it.
//
// ServerSlots is a plain value, not thread-safe; the agent keeps one per pool instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pool/pool_model.h"

namespace edgelb::haproxy {

// One server of a backend: a task endpoint from the mesos-listener.
struct ServerEndpoint {
  std::string address;  // an IP literal (IPv6 without brackets) or, for ADDRESS types, a host name
  uint32_t port = 0;
  bool ipv6 = false;
  std::string task_id;
  bool ready = true;  // running, and healthy when Mesos health-checks it
  bool same_server(const ServerEndpoint& o) const { return address == o.address && port == o.port; }
  bool operator==(const ServerEndpoint&) const = default;
};

// Endpoints keyed by the services[] entry they come from, as pool_endpoints() names them:
// "haproxy.backends[<i>].services[<j>]". Entries for other paths are ignored.
using EndpointsByService = std::map<std::string, std::vector<ServerEndpoint>>;
std::string service_path(size_t backend, size_t service);

struct Slot {
  std::optional<ServerEndpoint> server;  // nullopt: free
  bool draining = false;                 // the endpoint is gone; kept until release()
  bool operator==(const Slot&) const = default;
};

struct SlotGroup {
  size_t backend = 0, service = 0;  // indexes into the pool model
  std::string backend_name;
  bool fixed = false;  // an ADDRESS entry without a selector: one static server
  std::vector<Slot> slots;
  bool operator==(const SlotGroup&) const = default;
};

// One slot whose server changed; before/after are what the slot held.
struct SlotChange {
  size_t group = 0, slot = 0;
  Slot before, after;
};

// The slot name HAProxy knows: s<service>_<k> (k from 1); fixed servers are s<service>_fixed.
std::string slot_name(const SlotGroup& g, size_t slot);
size_t slot_count_for(size_t endpoints);  // max(8, 2 x endpoints)

class ServerSlots {
 public:
  ServerSlots() = default;
  // A fresh assignment for `pool` (one group per backend services[] entry, in model order).
  static ServerSlots plan(const cp::PoolModel& pool, const EndpointsByService& endpoints);

  // A plan for `pool` (possibly another version) for a reload: every server still wanted keeps
  // its slot (groups matched by backend name and services[] index), so runtime state carried
  // over by server-state-file stays with the same server; groups are sized for `endpoints`;
  // draining servers are dropped (the old worker finishes their connections).
  ServerSlots replan(const cp::PoolModel& pool, const EndpointsByService& endpoints) const;

  // Moves to `endpoints` in place. Returns false, changing nothing, when some group has fewer
  // free slots than new endpoints (the caller re-plans and reloads). On success appends one
  // SlotChange per slot whose content changed.
  bool update(const EndpointsByService& endpoints, std::vector<SlotChange>* changes);

  // Frees a draining slot (its server was put in maintenance). False if it was not draining.
  bool release(size_t group, size_t slot);

  // Whether the groups were planned for a pool with these backends and services.
  bool fits(const cp::PoolModel& pool) const;

  const std::vector<SlotGroup>& groups() const { return groups_; }
  // The endpoints now in slots (draining ones excluded), keyed like EndpointsByService.
  EndpointsByService endpoints() const;
  bool operator==(const ServerSlots&) const = default;

 private:
  std::vector<SlotGroup> groups_;
};

}  // namespace edgelb::haproxy
