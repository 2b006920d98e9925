// Server slots: how Mesos membership reaches HAProxy without a reload. Every services[] entry
// of every backend is a group of servers in haproxy.cfg, in one of two modes:
//  - dynamic (the default): each endpoint is its own server, named by its task
//    (task_server_name(): the task id, "agentip_<address>_<port>" as Edge-LB named servers
//    when there is none), added with the runtime API's `add server` when the task appears and
//    deleted (`del server`) once it has drained. Nothing but live servers is rendered: no
//    placeholders, no free servers in maintenance, no limit that forces a reload.
//  - fixed slots, where HAProxy 2.6 cannot add servers at runtime: cookie persistence
//    (rewriteHttp.sticky, a `cookie` line) and static load-balancing algorithms (static-rr,
//    map-based hashing: balance source/uri/hdr/url_param/rdp-cookie without `hash-type
//    consistent`). Such a group has max(8, 2 x its endpoints) named servers s<service>_<k>
//    when it is (re)planned; an endpoint occupies one, task changes move slots with `set
//    server`, and a group that runs out of free slots needs a re-plan and a reload. Free slots
//    sit in maintenance; /metrics leaves servers in maintenance out (template).
//
// Assignment is deterministic: plan() takes endpoints sorted by (address, port); update()
// keeps every endpoint that is still there in its slot (in a dynamic group: same address,
// port and task) and gives new ones the lowest free slot (dynamic groups grow as needed), so
// identical inputs give identical slots and the rendered text does not change. A removed
// endpoint keeps its slot as `draining` (its connections finish) until the owner release()s
// it.
//
// ServerSlots is a plain value, not thread-safe; the agent keeps one per pool instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
  std::string name;                      // dynamic groups: the server's name while it holds one
  bool operator==(const Slot&) const = default;
};

struct SlotGroup {
  size_t backend = 0, service = 0;  // indexes into the pool model
  std::string backend_name;
  bool fixed = false;    // an ADDRESS entry without a selector: one static server
  bool dynamic = false;  // servers added and deleted at runtime, named by task (see above)
  std::vector<Slot> slots;
  bool operator==(const SlotGroup&) const = default;
};

// One slot whose server changed; before/after are what the slot held.
struct SlotChange {
  size_t group = 0, slot = 0;
  Slot before, after;
};

// The server name HAProxy knows: in a dynamic group the slot's name; else s<service>_<k> (k
// from 1); fixed servers are s<service>_fixed.
std::string slot_name(const SlotGroup& g, size_t slot);
size_t slot_count_for(size_t endpoints);  // max(8, 2 x endpoints)

// The name of a task's server in a dynamic group: its task id with every character HAProxy
// names cannot hold ([A-Za-z0-9_.:-]) replaced by '_'; "agentip_<address>_<port>" when the
// endpoint has no task. Within one backend a name already taken gets "_<port>", then
// "_s<service>" appended.
std::string task_server_name(const ServerEndpoint& e);

// Whether HAProxy 2.6 can add servers to this backend at runtime: no cookie persistence and a
// dynamic load-balancing algorithm (balance and hash-type as its miscStrs may override them).
bool takes_dynamic_servers(const cp::Backend& b);

class ServerSlots {
 public:
  ServerSlots() = default;
  // A fresh assignment for `pool` (one group per backend services[] entry, in model order).
  // Backends named in `slot_backends` use fixed slots even where they could be dynamic.
  static ServerSlots plan(const cp::PoolModel& pool, const EndpointsByService& endpoints,
                          const std::set<std::string>& slot_backends = {});

  // A plan for `pool` (possibly another version) for a reload: every server still wanted keeps
  // its slot (groups matched by backend name and services[] index), so runtime state carried
  // over by server-state-file stays with the same server; groups are sized for `endpoints`;
  // draining servers are dropped (the old worker finishes their connections).
  ServerSlots replan(const cp::PoolModel& pool, const EndpointsByService& endpoints) const;

  // Moves to `endpoints` in place. Returns false, changing nothing, when some fixed-slot group
  // has fewer free slots than new endpoints (the caller re-plans and reloads); dynamic groups
  // always fit. On success appends one SlotChange per slot whose content changed.
  bool update(const EndpointsByService& endpoints, std::vector<SlotChange>* changes);

  // Frees a draining slot (its server was put in maintenance, or deleted in a dynamic group).
  // False if it was not draining.
  bool release(size_t group, size_t slot);

  // From the next replan() on, `backend` uses fixed slots (HAProxy refused to add a server to
  // it: a server option add server does not take).
  void use_slots_for(const std::string& backend) { slot_backends_.insert(backend); }
  const std::set<std::string>& slot_backends() const { return slot_backends_; }

  // Whether the groups were planned for a pool with these backends and services.
  bool fits(const cp::PoolModel& pool) const;

  const std::vector<SlotGroup>& groups() const { return groups_; }
  // The endpoints now in slots (draining ones excluded), keyed like EndpointsByService.
  EndpointsByService endpoints() const;
  bool operator==(const ServerSlots&) const = default;

 private:
  std::vector<SlotGroup> groups_;
  std::set<std::string> slot_backends_;
};

}  // namespace edgelb::haproxy
