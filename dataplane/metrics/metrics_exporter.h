// Prometheus /metrics for the dataplane (prometheus-cpp pull Exposer, its own HTTP thread).
// The control loop hands it the latest aggregated stats document (stats_json(); refreshed
// every few hundred ms); scrapes turn that document into metric families, so workers are never
// touched by a scrape and scrape cost does not depend on the worker count.
// Thread-safety: update() from the control loop, Collect() from the HTTP thread (a mutex).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace prometheus {
class Exposer;
}

namespace edgelb {

class MetricsExporter {
 public:
  // Listens on `address` ("127.0.0.1:9910"); throws std::runtime_error if it cannot bind.
  explicit MetricsExporter(const std::string& address);
  ~MetricsExporter();
  void update(const nlohmann::json& stats);

 private:
  class Source;
  std::shared_ptr<Source> source_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// The text a scrape of `stats` returns (exposed for tests).
std::string metrics_text(const nlohmann::json& stats);

}  // namespace edgelb
