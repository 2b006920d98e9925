#include "app/control_loop.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "config/service_file.h"
#include "control/stats_report.h"

namespace edgelb {
namespace {

using clock = std::chrono::steady_clock;

// The neighbour table: poll its events (a changed next hop rebuilds the tables) and, every
// 200 ms, ask the kernel to resolve the next hops still unknown (reported when that set changes).
class NeighborFollower {
 public:
  explicit NeighborFollower(Dataplane& dp) : dp_(dp) {}
  void tick(clock::time_point now) {
    NeighborTable* neighbors = dp_.neighbors();
    if (!neighbors) return;
    try {
      if (neighbors->poll()) dp_.tables().rebuild();
      if (now - last_resolve_ < std::chrono::milliseconds(200)) return;
      last_resolve_ = now;
      auto missing = neighbors->resolve_missing();
      if (missing.size() == unresolved_reported_) return;
      unresolved_reported_ = missing.size();
      std::string list;
      for (const auto& a : missing) list += " " + a.to_string();
      if (!missing.empty())
        std::fprintf(stderr,
                     "edgelb-dataplane: next hop MAC unknown for%s (resolving; their backends drop as no_next_hop)\n",
                     list.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "edgelb-dataplane: neighbour table: %s\n", e.what());
    }
  }

 private:
  Dataplane& dp_;
  clock::time_point last_resolve_ = clock::now();
  size_t unresolved_reported_ = SIZE_MAX;
};

void reload_services(Dataplane& dp, const std::string& file) {
  try {
    TableSpec next = load_service_file(file);
    if (auto errors = dp.tables().apply(next); !errors.empty()) {
      const uint64_t live = dp.tables().read([](const TableSpec& t, const ServiceSnapshot*) { return t.version; });
      print_rejected(file + " (reload; still serving version " + std::to_string(live) + ")", errors);
    } else {
      std::fprintf(stderr, "edgelb-dataplane: published table version %llu\n",
                   static_cast<unsigned long long>(next.version));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: reload failed, still serving: %s\n", e.what());
  }
}

}  // namespace

int run_control_loop(Dataplane& dp, const DataplaneConfig& cfg, PhaseSequencer* phases, LoopSignals signals) {
  const auto start = clock::now();
  auto last_change = start, last_print = start;
  auto last_metrics = start - std::chrono::seconds(1);
  uint64_t last_rx = 0;
  std::optional<StatsReport> last_stats;
  NeighborFollower neighbors(dp);
  while (!*signals.stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = clock::now();
    neighbors.tick(now);
    if (const uint64_t rx = dp.packets_in(); rx != last_rx) {
      last_rx = rx;
      last_change = now;
    }
    if (cfg.until_idle_ms && now - last_change >= std::chrono::milliseconds(cfg.until_idle_ms)) {
      if (!phases || phases->done()) break;
      if (!phases->advance(dp.tables())) return 2;
      last_change = clock::now();
      continue;
    }
    if (cfg.duration_s && now - start >= std::chrono::seconds(cfg.duration_s)) break;
    if (dp.metrics() && now - last_metrics >= std::chrono::milliseconds(250)) {
      dp.metrics()->update(dp.stats());
      last_metrics = now;
    }
    if (cfg.stats_interval_s && now - last_print >= std::chrono::seconds(cfg.stats_interval_s)) {
      auto js = dp.stats();
      const double secs = std::chrono::duration<double>(now - last_print).count();
      std::fprintf(stderr, "edgelb-dataplane: %s\n", stats_line(js, last_stats ? &*last_stats : nullptr, secs).c_str());
      last_stats = std::move(js);
      last_print = now;
    }
    if (*signals.reload) {
      *signals.reload = 0;
      reload_services(dp, cfg.services_file);
    }
  }
  return 0;
}

}  // namespace edgelb
