#include "pool/pool_document.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

namespace edgelb::cp {
namespace {

using nlohmann::json;

std::string key_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// JSON: nlohmann's parser callback sees each key; a stack of key sets finds duplicates.
std::optional<json> parse_json(const std::string& text, FieldErrors& errors) {
  struct Level {
    std::set<std::string> keys;
    std::string path;
    bool array = false;
    size_t index = 0;
  };
  std::vector<Level> stack;
  std::string pending_key;
  FieldErrors dups;
  auto child_path = [&]() {
    if (stack.empty()) return std::string();
    Level& top = stack.back();
    if (top.array) return top.path + "[" + std::to_string(top.index++) + "]";
    return key_path(top.path, pending_key);
  };
  json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    switch (ev) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        std::string p = child_path();
        stack.push_back({{}, p, ev == json::parse_event_t::array_start, 0});
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!stack.empty()) stack.pop_back();
        break;
      case json::parse_event_t::key:
        pending_key = parsed.get<std::string>();
        if (!stack.empty() && !stack.back().keys.insert(pending_key).second)
          dups.push_back({key_path(stack.back().path, pending_key), "duplicate key"});
        break;
      case json::parse_event_t::value:
        if (!stack.empty() && stack.back().array) stack.back().index++;
        break;
    }
    return true;
  };
  try {
    json doc = json::parse(text, cb);
    if (!dups.empty()) {
      errors.insert(errors.end(), dups.begin(), dups.end());
      return std::nullopt;
    }
    return doc;
  } catch (const json::parse_error& e) {
    // Report a line number, not a byte offset: operators read files by line.
    size_t line = 1 + std::count(text.begin(), text.begin() + std::min(e.byte, text.size()), '\n');
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    errors.push_back({"", "invalid JSON at line " + std::to_string(line) + ": " + what});
    return std::nullopt;
  }
}

// YAML 1.2 core schema for plain scalars.
json plain_scalar(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && *end == '\0') return v;
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

bool to_json(const YAML::Node& n, const std::string& path, json& out, FieldErrors& errors) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: out = nullptr; return true;
    case YAML::NodeType::Scalar: {
      const std::string& tag = n.Tag();
      if (tag == "!" || tag == "!!str" || tag == "tag:yaml.org,2002:str")
        out = n.Scalar();
      else
        out = plain_scalar(n.Scalar());
      return true;
    }
    case YAML::NodeType::Sequence: {
      out = json::array();
      size_t i = 0;
      bool ok = true;
      for (const auto& item : n) {
        json v;
        ok &= to_json(item, path + "[" + std::to_string(i++) + "]", v, errors);
        out.push_back(std::move(v));
      }
      return ok;
    }
    case YAML::NodeType::Map: {
      out = json::object();
      bool ok = true;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          errors.push_back({path, "keys must be strings (line " + std::to_string(kv.first.Mark().line + 1) + ")"});
          ok = false;
          continue;
        }
        const std::string key = kv.first.Scalar();
        const std::string p = key_path(path, key);
        if (out.contains(key)) {
          errors.push_back({p, "duplicate key (line " + std::to_string(kv.first.Mark().line + 1) + ")"});
          ok = false;
          continue;
        }
        ok &= to_json(kv.second, p, out[key], errors);
      }
      return ok;
    }
  }
  return false;
}

std::optional<json> parse_yaml(const std::string& text, FieldErrors& errors) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    if (docs.size() != 1) {
      errors.push_back(
          {"", docs.empty() ? "empty document" : "expected one YAML document, found " + std::to_string(docs.size())});
      return std::nullopt;
    }
    json out;
    if (!to_json(docs[0], "", out, errors)) return std::nullopt;
    return out;
  } catch (const YAML::Exception& e) {
    errors.push_back({"", "invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                              std::to_string(e.mark.column + 1) + ": " + e.msg});
    return std::nullopt;
  }
}

}  // namespace

std::optional<nlohmann::json> parse_document(const std::string& text, DocumentFormat format, FieldErrors& errors) {
  if (format == DocumentFormat::kAuto) {
    auto p = text.find_first_not_of(" \t\r\n");
    if (p == std::string::npos) {
      errors.push_back({"", "empty document"});
      return std::nullopt;
    }
    format = text[p] == '{' ? DocumentFormat::kJson : DocumentFormat::kYaml;
  }
  return format == DocumentFormat::kJson ? parse_json(text, errors) : parse_yaml(text, errors);
}

std::optional<nlohmann::json> load_document_file(const std::string& file, FieldErrors& errors) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    errors.push_back({"", "cannot read " + file});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  DocumentFormat f = DocumentFormat::kAuto;
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return file.size() >= e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".json"))
    f = DocumentFormat::kJson;
  else if (ends(".yaml") || ends(".yml"))
    f = DocumentFormat::kYaml;
  FieldErrors local;
  auto doc = parse_document(ss.str(), f, local);
  for (auto& e : local) errors.push_back({e.path, file + ": " + e.reason});
  return doc;
}

}  // namespace edgelb::cp
