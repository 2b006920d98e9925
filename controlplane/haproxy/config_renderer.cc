#include "haproxy/config_renderer.h"

#include <kainjow/mustache.hpp>

#include <string_view>

namespace edgelb::haproxy {
namespace {

namespace mustache = kainjow::mustache;

// The mustache spec's standalone rule: a line holding only a section tag or a comment (and
// blanks) disappears whole, so templates can put tags on lines of their own. kainjow 4.1
// drops such lines itself except after a section that renders nothing, where the close tag's
// line stays as a blank line, and for comments. Before parsing, standalone close tags are
// joined to the next line and standalone comments removed (default delimiters only).
std::string strip_standalone_tags(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t end = eol == std::string::npos ? text.size() : eol + 1;
    std::string_view line(text.data() + pos, end - pos);
    size_t b = line.find_first_not_of(" \t");
    size_t e = line.find_last_not_of(" \t\r\n");
    if (b != std::string_view::npos && e != std::string_view::npos && e >= b + 4) {
      std::string_view tag = line.substr(b, e - b + 1);
      if (tag.substr(0, 2) == "{{" && (tag[2] == '/' || tag[2] == '!') && tag.find("}}") == tag.size() - 2 &&
          tag.find("{{", 2) == std::string_view::npos) {
        if (tag[2] == '/') out.append(tag);
        pos = end;
        continue;
      }
    }
    out.append(line);
    pos = end;
  }
  return out;
}

mustache::data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data d{mustache::data::type::object};
      for (auto it = j.begin(); it != j.end(); ++it) d.set(it.key(), to_data(it.value()));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mustache::data d{mustache::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case nlohmann::json::value_t::string: return mustache::data{j.get<std::string>()};
    case nlohmann::json::value_t::boolean: return mustache::data{j.get<bool>()};
    case nlohmann::json::value_t::null: return mustache::data{false};
    default: return mustache::data{j.dump()};
  }
}

}  // namespace

std::string render_template(const std::string& template_text, const nlohmann::json& data) {
  if (template_text.size() > kMaxTemplateBytes)
    throw RenderError("template is " + std::to_string(template_text.size()) + " bytes, more than the limit of " +
                      std::to_string(kMaxTemplateBytes));
  mustache::mustache tmpl{strip_standalone_tags(template_text)};
  if (!tmpl.is_valid()) throw RenderError("template: " + tmpl.error_message());
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  std::string out = tmpl.render(to_data(data));
  if (!tmpl.is_valid()) throw RenderError("template: " + tmpl.error_message());
  if (out.size() > kMaxConfigBytes)
    throw RenderError("rendered configuration is " + std::to_string(out.size()) + " bytes, more than the limit of " +
                      std::to_string(kMaxConfigBytes));
  return out;
}

std::string render_config(const cp::PoolModel& pool, int64_t version, const ServerSlots& slots,
                          const RenderSettings& settings, const std::string& custom_template) {
  nlohmann::json data;
  try {
    data = template_data(pool, version, slots, settings);
  } catch (const std::invalid_argument& e) {
    throw RenderError(e.what());
  }
  return render_template(custom_template.empty() ? default_template() : custom_template, data);
}

}  // namespace edgelb::haproxy
