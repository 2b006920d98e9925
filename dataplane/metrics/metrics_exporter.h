// Prometheus /metrics for the dataplane (prometheus-cpp pull Exposer, its own HTTP thread).
// The control loop hands it the latest StatsReport (control/stats_report.h; refreshed every
// few hundred ms); scrapes turn that report into metric families (the Prometheus collector),
// so workers are never touched by a scrape and scrape cost does not depend on the worker count.
// Thread-safety: update() from the control loop, Collect() from the HTTP thread (a mutex).
#pragma once

#include <memory>
#include <string>

#include "control/stats_report.h"

namespace prometheus {
class Exposer;
}

namespace edgelb {

class MetricsExporter {
 public:
  // Listens on `address` ("127.0.0.1:9910"); throws std::runtime_error if it cannot bind.
  explicit MetricsExporter(const std::string& address);
  ~MetricsExporter();
  void update(const StatsReport& stats);

 private:
  class Source;
  std::shared_ptr<Source> source_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// The text a scrape of `stats` returns (exposed for tests); null: no stats yet, no samples.
std::string metrics_text(const StatsReport* stats);

}  // namespace edgelb
