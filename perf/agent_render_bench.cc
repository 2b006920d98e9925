// perf/bench.sh agent, in process: the template role's cost for a large pool — 100 backends
// of 50 servers each (5000 endpoints, 8000+ slots) — split into planning the slots, building
// the template data and rendering the default template. Prints one JSON object.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "haproxy/config_renderer.h"
#include "pool/pool_model.h"

using namespace edgelb;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App app{"edgelb-agent-render-bench"};
  int backends = 100, servers = 50, runs = 20;
  app.add_option("--backends", backends);
  app.add_option("--servers", servers);
  app.add_option("--runs", runs);
  CLI11_PARSE(app, argc, argv);

  nlohmann::json pool = {{"apiVersion", "V2"}, {"name", "bench"}};
  nlohmann::json fes = nlohmann::json::array(), bes = nlohmann::json::array(), rules = nlohmann::json::array();
  for (int b = 0; b < backends; ++b) {
    const std::string name = "app-" + std::to_string(b);
    rules.push_back({{"hostEq", name + ".example.com"}, {"backend", name}});
    bes.push_back({{"name", name},
                   {"protocol", "HTTP"},
                   {"services", {{{"marathon", {{"serviceID", "/bench/" + name}}}, {"endpoint", {{"port", 80}}}}}}});
  }
  fes.push_back(
      {{"bindPort", 80}, {"protocol", "HTTP"}, {"linkBackend", {{"defaultBackend", "app-0"}, {"map", rules}}}});
  pool["haproxy"] = {{"frontends", fes}, {"backends", bes}};
  const cp::PoolModel model = cp::PoolModel::from_json(pool);
  haproxy::EndpointsByService eps;
  for (int b = 0; b < backends; ++b)
    for (int s = 0; s < servers; ++s)
      eps[haproxy::service_path(b, 0)].push_back({"198.18." + std::to_string(b / 250 + 1) + "." + std::to_string(s + 1),
                                                  static_cast<uint32_t>(10000 + b), false, "t", true});
  auto settings = haproxy::RenderSettings::under("/var/lib/edgelb-agent/pools/bench");

  std::vector<double> plan_ms, data_ms, render_ms, total_ms;
  size_t bytes = 0;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    auto slots = haproxy::ServerSlots::plan(model, eps);
    auto t1 = Clock::now();
    auto data = haproxy::template_data(model, 1, slots, settings);
    auto t2 = Clock::now();
    std::string text = haproxy::render_template(haproxy::default_template(), data);
    auto t3 = Clock::now();
    bytes = text.size();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    plan_ms.push_back(ms(t0, t1));
    data_ms.push_back(ms(t1, t2));
    render_ms.push_back(ms(t2, t3));
    total_ms.push_back(ms(t0, t3));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  nlohmann::json out = {{"backends", backends},
                        {"servers_per_backend", servers},
                        {"config_bytes", bytes},
                        {"plan_ms_p50", median(plan_ms)},
                        {"template_data_ms_p50", median(data_ms)},
                        {"mustache_ms_p50", median(render_ms)},
                        {"render_total_ms_p50", median(total_ms)},
                        {"runs", runs}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
