// The template role: pool model + server slots + template -> haproxy.cfg text. Templates are
// mustache (kainjow/mustache, the Debian package) over template_data(); the default template
// is templates/default.cfg.mustache, compiled in. A pool's custom template (edgelbctl
// template put) renders over the same data. No HTML escaping: values are HAProxy words
// already. Pure (no I/O), deterministic, thread-safe.
//
// Errors are RenderError with a message naming the template problem or the pool field; the
// caller keeps whatever it was serving. Whether HAProxy accepts the text is config_check.h's
// job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "haproxy/server_slots.h"
#include "haproxy/template_data.h"
#include "pool/pool_model.h"

namespace edgelb::haproxy {

struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr size_t kMaxTemplateBytes = 256 * 1024;
inline constexpr size_t kMaxConfigBytes = 64 * 1024 * 1024;

const std::string& default_template();

// Renders a mustache template over `data`. Throws RenderError for a template that does not
// parse or render, is larger than kMaxTemplateBytes, or renders more than kMaxConfigBytes.
std::string render_template(const std::string& template_text, const nlohmann::json& data);

// template_data() rendered with `custom_template`, or the default one when it is empty.
std::string render_config(const cp::PoolModel& pool, int64_t version, const ServerSlots& slots,
                          const RenderSettings& settings, const std::string& custom_template = "");

}  // namespace edgelb::haproxy
