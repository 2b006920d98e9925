// The template role: every Edge-LB pool fixture (and one that uses every V2 field) with fixed
// endpoints renders byte for byte the committed config in tests/fixtures/haproxy-golden/, and
// HAProxy 2.6 accepts each (`haproxy -c`). Rendering is stable across runs, key orders and
// endpoint orders; slot assignment keeps servers in place; bad templates fail with a reason.
// Regenerate the golden files after an intended change with EDGELB_UPDATE_GOLDEN=1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "crypto/x509_issuer.h"
#include "fixtures.h"
#include "haproxy/config_check.h"
#include "haproxy/config_renderer.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"

namespace edgelb::haproxy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kHaproxy = "haproxy";

std::vector<std::string> input_pools() {
  auto files = test::fixture_files("edgelb-pools", ".json");
  files.push_back(test::fixture_path("haproxy/every-field.json"));
  return files;
}

json load(const std::string& file) {
  FieldErrors errors;
  auto doc = cp::load_document_file(file, errors);
  if (!doc) throw std::runtime_error(file + ": " + join(errors));
  return *doc;
}

// Two endpoints per selecting services[] entry (backend i, entry j: 198.18.<i+1>.<10j+k>:
// 8000+i), plus an IPv6 one and a task that is not ready in the first entry.
EndpointsByService fixed_endpoints(const cp::PoolModel& pool) {
  EndpointsByService out;
  for (size_t i = 0; i < pool.backends.size(); ++i)
    for (size_t j = 0; j < pool.backends[i].services.size(); ++j) {
      if (pool.backends[i].services[j].fixed_address()) continue;
      auto& v = out[service_path(i, j)];
      for (int k = 1; k <= 2; ++k) {
        std::string host = std::to_string(10 * j + k);
        v.push_back({"198.18." + std::to_string(i + 1) + "." + host, static_cast<uint32_t>(8000 + i), false,
                     "task-" + std::to_string(i) + "-" + host, true});
      }
      if (i == 0 && j == 0) {
        v.push_back({"2001:db8::1:7", 8000, true, "task-v6", true});
        v.push_back({"198.18.1.99", 8000, false, "task-starting", false});
      }
    }
  return out;
}

const std::string kInstanceDir = "/var/lib/edgelb-agent/pools/POOL";

// An instance's settings; the agent allocates ports for binds a pool leaves at 0 (fixture 19's
// stats port).
RenderSettings settings_under(const std::string& dir) {
  auto s = RenderSettings::under(dir);
  s.allocated_ports["haproxy.stats"] = 10090;
  // What an agent with the default configuration and a 1048576-descriptor limit renders.
  s.limits = size_limits({}, 1048576);
  s.log_target = log_target(AccessLogSettings{}, dir + "/run");
  return s;
}

std::string render_fixture(const std::string& file, const RenderSettings& settings) {
  auto pool = cp::PoolModel::from_json(load(file));
  auto slots = ServerSlots::plan(pool, fixed_endpoints(pool));
  return render_config(pool, 3, slots, settings);
}

std::string golden_path(const std::string& input) {
  return test::fixture_path("haproxy-golden/" + fs::path(input).stem().string() + ".cfg");
}

TEST(Render, EveryFixtureMatchesItsGoldenConfig) {
  const bool update = std::getenv("EDGELB_UPDATE_GOLDEN") != nullptr;
  for (const auto& file : input_pools()) {
    std::string text = render_fixture(file, settings_under(kInstanceDir));
    if (update) {
      std::ofstream(golden_path(file), std::ios::binary) << text;
      continue;
    }
    EXPECT_EQ(text, test::read_file_or_throw(golden_path(file))) << file << " (EDGELB_UPDATE_GOLDEN=1 rewrites)";
  }
}

TEST(Render, StableAcrossRunsAndEndpointOrder) {
  for (const auto& file : input_pools()) {
    auto pool = cp::PoolModel::from_json(load(file));
    auto eps = fixed_endpoints(pool);
    auto settings = settings_under(kInstanceDir);
    std::string first = render_config(pool, 3, ServerSlots::plan(pool, eps), settings);
    // The document re-read from its own pretty-printed text, endpoints in another order.
    auto again = cp::PoolModel::from_json(json::parse(load(file).dump(2)));
    std::mt19937 rng(7);
    for (auto& [path, v] : eps) std::shuffle(v.begin(), v.end(), rng);
    EXPECT_EQ(first, render_config(again, 3, ServerSlots::plan(again, eps), settings)) << file;
  }
}

// HAProxy accepts every rendered config, with real certificate and Lua files in place.
TEST(Render, HaproxyAcceptsEveryRenderedConfig) {
  const fs::path dir = fs::temp_directory_path() / ("edgelb-render-" + std::to_string(getpid()));
  fs::create_directories(dir / "secrets");
  fs::create_directories(dir / "envfiles");
  fs::create_directories(dir / "run");
  cp::CertRequest req;
  req.common_name = "edge.example.com";
  auto kc = cp::self_signed(req);
  for (const fs::path& p : {dir / "autocert.pem", dir / "secrets/web.pem", dir / "envfiles/ELB_FILE_EXTRA_PEM",
                            dir / "envfiles/ELB_FILE_HAPROXY_CERT"})
    std::ofstream(p) << kc.cert_pem << kc.key_pem;
  std::ofstream(dir / "getconfig.lua") << kGetConfigLua;
  for (const auto& file : input_pools()) {
    auto settings = settings_under(dir.string());
    std::string text = render_fixture(file, settings);
    auto r = check_config_text(kHaproxy, text, dir.string());
    EXPECT_TRUE(r.ok) << file << ":\n" << r.errors << "\n" << text;
  }
  fs::remove_all(dir);
}

TEST(Render, ConfigHaproxyRejectsIsReportedWithItsReason) {
  const fs::path dir = fs::temp_directory_path() / ("edgelb-render-bad-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto r = check_config_text(kHaproxy, "global\n  bogus_keyword 1\n", dir.string());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors.find("bogus_keyword"), std::string::npos) << r.errors;
  EXPECT_EQ(r.errors.find("[NOTICE]"), std::string::npos) << r.errors;
  fs::remove_all(dir);
}

TEST(Render, CustomTemplateRendersOverTheSameData) {
  auto pool = cp::PoolModel::from_json(load(test::fixture_path("edgelb-pools/02-path-routing-rewrite.json")));
  auto slots = ServerSlots::plan(pool, fixed_endpoints(pool));
  std::string text =
      render_config(pool, 5, slots, RenderSettings::under("/x"),
                    "pool={{pool.name}} v={{pool.version}}\n{{#backends}}{{name}}:"
                    "{{#servers}}{{#enabled}}{{address}}:{{port}} {{/enabled}}{{/servers}}\n{{/backends}}");
  EXPECT_EQ(text,
            "pool=path-routing v=5\nhttpd:198.18.1.1:8000 198.18.1.2:8000 2001:db8::1:7:8000 \n"
            "nginx:198.18.2.1:8001 198.18.2.2:8001 \n");
}

TEST(Render, BadTemplatesFailWithAReason) {
  auto pool = cp::PoolModel::from_json(load(test::fixture_path("edgelb-pools/01-app-lb-simple-marathon.json")));
  auto slots = ServerSlots::plan(pool, {});
  auto settings = RenderSettings::under("/x");
  try {
    render_config(pool, 1, slots, settings, "{{#backends}}unclosed");
    FAIL() << "an unclosed section rendered";
  } catch (const RenderError& e) {
    EXPECT_NE(std::string(e.what()).find("template: "), std::string::npos) << e.what();
  }
  EXPECT_THROW(render_config(pool, 1, slots, settings, std::string(kMaxTemplateBytes + 1, 'x')), RenderError);
  // Slots planned for another pool shape are refused rather than rendered wrong.
  auto other = cp::PoolModel::from_json(load(test::fixture_path("edgelb-pools/19-single-pool-three-services.json")));
  EXPECT_THROW(render_config(pool, 1, ServerSlots::plan(other, {}), settings), RenderError);
  // A bind at port 0 needs the port the agent allocated for it.
  try {
    render_config(other, 1, ServerSlots::plan(other, {}), settings);
    FAIL() << "port 0 rendered";
  } catch (const RenderError& e) {
    EXPECT_EQ(std::string(e.what()), "haproxy.stats.bindPort: 0 asks for an allocated port and none was allocated");
  }
}

// Values that cannot be written are refused with the pool field, even past the validator.
TEST(Render, UnwritableValuesNameTheirField) {
  auto pool = cp::PoolModel::from_json(load(test::fixture_path("edgelb-pools/02-path-routing-rewrite.json")));
  pool.frontends[0].rules[0].path_beg = "/a'b";
  try {
    render_config(pool, 1, ServerSlots::plan(pool, {}), RenderSettings::under("/x"));
    FAIL() << "a single quote was written";
  } catch (const RenderError& e) {
    EXPECT_NE(std::string(e.what()).find("haproxy.frontends[0].linkBackend.map[0].pathBeg"), std::string::npos)
        << e.what();
  }
  pool.frontends[0].rules[0].path_beg = "/a";
  pool.backends[0].misc = {"timeout server 1s\nlisten x"};
  EXPECT_THROW(render_config(pool, 1, ServerSlots::plan(pool, {}), RenderSettings::under("/x")), RenderError);
}

}  // namespace
}  // namespace edgelb::haproxy
