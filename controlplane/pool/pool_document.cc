#include "pool/pool_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "common/read_file.h"

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

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    size_t n;
    if (c < 0x80)
      n = 0;
    else if ((c & 0xE0) == 0xC0)
      n = 1;
    else if ((c & 0xF0) == 0xE0)
      n = 2;
    else if ((c & 0xF8) == 0xF0)
      n = 3;
    else
      return false;
    if (i + n >= s.size() && n > 0) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

// YAML -> JSON from yaml-cpp's parser events (not its node tree): one document, aliases
// expanded within a budget proportional to the text (a "billion laughs" document of a few
// lines would expand exponentially), a nesting depth no pool needs, UTF-8 text only. Event
// parsing also steps around yaml-cpp 0.7's LoadAll, which never returns on inputs such as
// `"a",` (jbeder/yaml-cpp#1040, fixed upstream in 0.8.x).
class YamlToJson : public YAML::EventHandler {
 public:
  YamlToJson(size_t node_budget, FieldErrors& errors) : nodes_left_(node_budget), errors_(errors) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (expecting_key()) fail(mark, "keys must be strings");
    add(mark, nullptr, anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail(mark, "unknown alias");
    if (expecting_key()) {
      if (!it->second.first.is_string()) fail(mark, "keys must be strings");
      stack_.back().key = it->second.first.get<std::string>();
      stack_.back().key_line = mark.line;
      return;
    }
    add(mark, it->second.first, 0, it->second.second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!valid_utf8(value)) fail(mark, "text must be UTF-8");
    if (expecting_key()) {  // a key: the scalar's text, never typed
      stack_.back().key = value;
      stack_.back().key_line = mark.line;
      return;
    }
    const bool str = tag == "!" || tag == "!!str" || tag == "tag:yaml.org,2002:str";
    add(mark, str ? json(value) : plain_scalar(value), anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, json::array(), anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, json::object(), anchor, true);
  }
  void OnMapEnd() override { close(); }

  std::optional<json> root;
  bool failed = false;

 private:
  struct Frame {
    json value;
    bool map = false;
    std::string path;
    YAML::anchor_t anchor = 0;
    size_t nodes = 1;
    std::optional<std::string> key;
    size_t key_line = 0;
  };
  struct Stop {};  // unwinds the parser after an error was recorded

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& why) {
    errors_.push_back({path_here(), why + " (line " + std::to_string(mark.line + 1) + ")"});
    failed = true;
    throw Stop{};
  }
  std::string path_here() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (top.map) return top.key ? key_path(top.path, *top.key) : top.path;
    return top.path + "[" + std::to_string(top.value.size()) + "]";
  }
  void spend(const YAML::Mark& mark, size_t nodes) {
    if (nodes > nodes_left_) fail(mark, "YAML aliases expand the document beyond its size");
    nodes_left_ -= nodes;
  }
  bool expecting_key() const { return !stack_.empty() && stack_.back().map && !stack_.back().key; }
  void open(const YAML::Mark& mark, json empty, YAML::anchor_t anchor, bool map) {
    if (expecting_key()) fail(mark, "keys must be strings");
    if (stack_.size() >= kMaxDepth) fail(mark, "YAML nested deeper than any pool configuration");
    spend(mark, 1);
    Frame f;
    f.value = std::move(empty);
    f.map = map;
    f.path = path_here();
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }
  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    place(std::move(f.value), f.anchor, f.nodes);
  }
  void add(const YAML::Mark& mark, json value, YAML::anchor_t anchor, size_t nodes) {
    spend(mark, nodes);
    place(std::move(value), anchor, nodes);
  }
  void place(json value, YAML::anchor_t anchor, size_t nodes) {
    if (anchor) anchors_[anchor] = {value, nodes};
    if (stack_.empty()) {
      root = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    top.nodes += nodes;
    if (!top.map) {
      top.value.push_back(std::move(value));
      return;
    }
    const std::string key = *top.key;
    top.key.reset();
    if (top.value.contains(key)) {
      errors_.push_back({key_path(top.path, key), "duplicate key (line " + std::to_string(top.key_line + 1) + ")"});
      failed = true;
      return;
    }
    top.value[key] = std::move(value);
  }

  static constexpr size_t kMaxDepth = 64;
  size_t nodes_left_;
  FieldErrors& errors_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::pair<json, size_t>> anchors_;

  friend std::optional<json> parse_yaml(const std::string& text, FieldErrors& errors);
};

std::optional<json> parse_yaml(const std::string& text, FieldErrors& errors) {
  // Without aliases a document has fewer nodes than bytes.
  YamlToJson builder(2 * text.size() + 1024, errors);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder)) {
      errors.push_back({"", "empty document"});
      return std::nullopt;
    }
    if (builder.failed) return std::nullopt;
    YamlToJson rest(2 * text.size() + 1024, errors);
    if (parser.HandleNextDocument(rest)) {
      errors.push_back({"", "expected one YAML document, found more"});
      return std::nullopt;
    }
    if (!builder.root) {
      errors.push_back({"", "empty document"});
      return std::nullopt;
    }
    return builder.root;
  } catch (const YamlToJson::Stop&) {
    return std::nullopt;
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
  const std::optional<std::string> text = cp::read_file_if_present(file);
  if (!text) {
    errors.push_back({"", "cannot read " + file});
    return std::nullopt;
  }
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
  auto doc = parse_document(*text, f, local);
  for (auto& e : local) errors.push_back({e.path, file + ": " + e.reason});
  return doc;
}

}  // namespace edgelb::cp
