// libFuzzer target: a pool configuration as an operator sends it (JSON or YAML text) through
// parsing, validation, the pool model and the HAProxy renderer with the default template. A
// pool the validator accepts must render (or fail with RenderError) and must not break out of
// its lines: the rendered text holds no control character but newlines, and every line that
// the pool could feed stays one line. Nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "haproxy/config_renderer.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"
#include "pool/pool_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgelb;
  const std::string text(reinterpret_cast<const char*>(data), size);
  FieldErrors errors;
  auto doc = cp::parse_document(text, cp::DocumentFormat::kAuto, errors);
  if (!doc || !cp::validate_pool(*doc).empty()) return 0;
  cp::PoolModel model;
  try {
    model = cp::PoolModel::from_json(*doc);
  } catch (const std::invalid_argument&) {
    __builtin_trap();  // the model must read whatever the validator accepts
  }
  // Two endpoints for every selecting services[] entry, one of them not ready.
  haproxy::EndpointsByService eps;
  for (size_t b = 0; b < model.backends.size(); ++b)
    for (size_t s = 0; s < model.backends[b].services.size(); ++s) {
      eps[haproxy::service_path(b, s)].push_back({"198.18.0.1", 8080, false, "t1", true});
      eps[haproxy::service_path(b, s)].push_back({"2001:db8::1", 8081, true, "t2", false});
    }
  auto settings = haproxy::RenderSettings::under("/var/lib/edgelb-agent/pools/fuzz");
  settings.allocated_ports["haproxy.stats"] = 10000;
  for (size_t f = 0; f < model.frontends.size(); ++f)
    settings.allocated_ports["haproxy.frontends[" + std::to_string(f) + "]"] = static_cast<uint32_t>(10001 + f);
  std::string cfg;
  try {
    cfg = haproxy::render_config(model, 1, haproxy::ServerSlots::plan(model, eps), settings);
  } catch (const haproxy::RenderError&) {
    return 0;
  }
  for (unsigned char c : cfg)
    if ((c < 0x20 && c != '\n') || c == 0x7f) __builtin_trap();
  return 0;
}
