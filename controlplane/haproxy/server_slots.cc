#include "haproxy/server_slots.h"

#include <algorithm>
#include <tuple>

namespace edgelb::haproxy {
namespace {

const std::vector<ServerEndpoint>& endpoints_of(const EndpointsByService& all, size_t b, size_t s) {
  static const std::vector<ServerEndpoint> kNone;
  auto it = all.find(service_path(b, s));
  return it == all.end() ? kNone : it->second;
}

// Sorted by (address, port), one entry per server (the first wins).
std::vector<ServerEndpoint> unique_sorted(std::vector<ServerEndpoint> v) {
  std::stable_sort(v.begin(), v.end(), [](const ServerEndpoint& a, const ServerEndpoint& b) {
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  v.erase(std::unique(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.same_server(b); }), v.end());
  return v;
}

}  // namespace

std::string service_path(size_t backend, size_t service) {
  return "haproxy.backends[" + std::to_string(backend) + "].services[" + std::to_string(service) + "]";
}

std::string slot_name(const SlotGroup& g, size_t slot) {
  return "s" + std::to_string(g.service) + (g.fixed ? std::string("_fixed") : "_" + std::to_string(slot + 1));
}

size_t slot_count_for(size_t endpoints) { return std::max<size_t>(8, 2 * endpoints); }

ServerSlots ServerSlots::plan(const cp::PoolModel& pool, const EndpointsByService& endpoints) {
  ServerSlots out;
  for (size_t b = 0; b < pool.backends.size(); ++b)
    for (size_t s = 0; s < pool.backends[b].services.size(); ++s) {
      SlotGroup g;
      g.backend = b;
      g.service = s;
      g.backend_name = pool.backends[b].name;
      g.fixed = pool.backends[b].services[s].fixed_address();
      if (!g.fixed) {
        auto eps = unique_sorted(endpoints_of(endpoints, b, s));
        g.slots.resize(slot_count_for(eps.size()));
        for (size_t k = 0; k < eps.size(); ++k) g.slots[k].server = eps[k];
      }
      out.groups_.push_back(std::move(g));
    }
  return out;
}

ServerSlots ServerSlots::replan(const cp::PoolModel& pool, const EndpointsByService& endpoints) const {
  ServerSlots out = plan(pool, {});
  for (SlotGroup& g : out.groups_) {
    if (g.fixed) continue;
    auto old = std::find_if(groups_.begin(), groups_.end(), [&](const SlotGroup& o) {
      return !o.fixed && o.backend_name == g.backend_name && o.service == g.service;
    });
    const auto eps = unique_sorted(endpoints_of(endpoints, g.backend, g.service));
    size_t size = slot_count_for(eps.size());
    if (old != groups_.end()) {
      // Keep wanted servers where they are; the rest of the old slots start free.
      std::vector<Slot> kept(old->slots.size());
      for (size_t k = 0; k < old->slots.size(); ++k) {
        const Slot& s = old->slots[k];
        if (s.server && std::any_of(eps.begin(), eps.end(), [&](const auto& e) { return e.same_server(*s.server); })) {
          kept[k].server = s.server;
          size = std::max(size, k + 1);
        }
      }
      kept.resize(size);
      g.slots = std::move(kept);
    } else {
      g.slots.resize(size);
    }
  }
  // Place the rest (and refresh readiness) as an update would; nothing is left draining.
  if (!out.update(endpoints, nullptr)) return plan(pool, endpoints);
  for (SlotGroup& g : out.groups_)
    for (Slot& s : g.slots)
      if (s.draining) s = Slot{};
  return out;
}

bool ServerSlots::update(const EndpointsByService& endpoints, std::vector<SlotChange>* changes) {
  std::vector<SlotGroup> next = groups_;
  std::vector<SlotChange> made;
  for (size_t gi = 0; gi < next.size(); ++gi) {
    SlotGroup& g = next[gi];
    if (g.fixed) continue;
    auto eps = unique_sorted(endpoints_of(endpoints, g.backend, g.service));
    std::vector<bool> kept(eps.size(), false);
    std::vector<Slot> before = g.slots;
    // Endpoints still present keep their slot (a draining one comes back); the rest drain.
    for (Slot& slot : g.slots) {
      if (!slot.server) continue;
      auto it = std::find_if(eps.begin(), eps.end(), [&](const auto& e) { return e.same_server(*slot.server); });
      if (it == eps.end()) {
        slot.draining = true;
      } else if (!kept[it - eps.begin()]) {
        kept[it - eps.begin()] = true;
        slot.server = *it;
        slot.draining = false;
      }
    }
    size_t free_slot = 0;
    for (size_t k = 0; k < eps.size(); ++k) {
      if (kept[k]) continue;
      while (free_slot < g.slots.size() && g.slots[free_slot].server) ++free_slot;
      if (free_slot == g.slots.size()) return false;
      g.slots[free_slot].server = eps[k];
      g.slots[free_slot].draining = false;
    }
    for (size_t k = 0; k < g.slots.size(); ++k)
      if (!(g.slots[k] == before[k])) made.push_back({gi, k, before[k], g.slots[k]});
  }
  groups_ = std::move(next);
  if (changes) changes->insert(changes->end(), made.begin(), made.end());
  return true;
}

bool ServerSlots::release(size_t group, size_t slot) {
  if (group >= groups_.size() || slot >= groups_[group].slots.size()) return false;
  Slot& s = groups_[group].slots[slot];
  if (!s.draining) return false;
  s = Slot{};
  return true;
}

bool ServerSlots::fits(const cp::PoolModel& pool) const {
  size_t gi = 0;
  for (size_t b = 0; b < pool.backends.size(); ++b)
    for (size_t s = 0; s < pool.backends[b].services.size(); ++s, ++gi)
      if (gi >= groups_.size() || groups_[gi].backend != b || groups_[gi].service != s ||
          groups_[gi].fixed != pool.backends[b].services[s].fixed_address())
        return false;
  return gi == groups_.size();
}

EndpointsByService ServerSlots::endpoints() const {
  EndpointsByService out;
  for (const SlotGroup& g : groups_)
    for (const Slot& s : g.slots)
      if (s.server && !s.draining) out[service_path(g.backend, g.service)].push_back(*s.server);
  return out;
}

}  // namespace edgelb::haproxy
