#include "agent/placement.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace edgelb::cp {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

PlacementConstraint make(std::vector<std::string> parts, const std::string& text) {
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
    throw std::invalid_argument("constraints: \"" + text + "\" is not field:OPERATOR[:value]");
  PlacementConstraint c{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  std::transform(c.op.begin(), c.op.end(), c.op.begin(), ::toupper);
  static const std::vector<std::string> kValued = {"MAX_PER", "IS", "LIKE", "UNLIKE"};
  if (c.op == "GROUP_BY")
    throw std::invalid_argument(
        "constraints: GROUP_BY is a scheduler's spreading preference; edgelb agents claim "
        "instances themselves and do not support it");
  if (c.op != "UNIQUE" && c.op != "CLUSTER" && std::find(kValued.begin(), kValued.end(), c.op) == kValued.end())
    throw std::invalid_argument("constraints: unknown operator " + c.op + " in \"" + text + "\"");
  if (std::find(kValued.begin(), kValued.end(), c.op) != kValued.end() && c.value.empty())
    throw std::invalid_argument("constraints: " + c.op + " needs a value in \"" + text + "\"");
  if (c.op == "MAX_PER" && (c.value.find_first_not_of("0123456789") != std::string::npos || std::stol(c.value) < 1))
    throw std::invalid_argument("constraints: MAX_PER needs a positive number in \"" + text + "\"");
  if (c.op == "LIKE" || c.op == "UNLIKE") {
    try {
      std::regex re(c.value);
    } catch (const std::regex_error&) {
      throw std::invalid_argument("constraints: invalid regular expression in \"" + text + "\"");
    }
  }
  return c;
}

}  // namespace

std::optional<std::string> NodeIdentity::field(const std::string& f) const {
  if (f == "hostname") return name;
  auto it = attributes.find(f);
  if (it == attributes.end()) return std::nullopt;
  return it->second;
}

std::vector<PlacementConstraint> parse_constraints(const std::string& text) {
  std::vector<PlacementConstraint> out;
  const std::string t = trim(text);
  if (t.empty()) return out;
  if (t.front() == '[') {
    nlohmann::json j = nlohmann::json::parse(t, nullptr, false);
    if (!j.is_array()) throw std::invalid_argument("constraints: not a JSON array of [field, OPERATOR, value]");
    for (const auto& c : j) {
      std::vector<std::string> parts;
      if (!c.is_array()) throw std::invalid_argument("constraints: " + c.dump() + " is not an array");
      for (const auto& p : c) {
        if (!p.is_string()) throw std::invalid_argument("constraints: " + c.dump() + " holds a non-string");
        parts.push_back(p.get<std::string>());
      }
      out.push_back(make(parts, c.dump()));
    }
    return out;
  }
  size_t pos = 0;
  while (pos <= t.size()) {
    size_t comma = t.find(',', pos);
    std::string one = trim(t.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    std::vector<std::string> parts;
    size_t p = 0;
    // field:OP:value, where value may itself hold ':' (a regex)
    for (int i = 0; i < 2; ++i) {
      size_t colon = one.find(':', p);
      parts.push_back(one.substr(p, colon == std::string::npos ? std::string::npos : colon - p));
      if (colon == std::string::npos) {
        p = std::string::npos;
        break;
      }
      p = colon + 1;
    }
    if (p != std::string::npos) parts.push_back(one.substr(p));
    out.push_back(make(parts, one));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool placement_admits(const NodeIdentity& node, const std::string& role,
                      const std::vector<PlacementConstraint>& constraints, const std::vector<NodeIdentity>& others,
                      std::string* why) {
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  if (std::find(node.roles.begin(), node.roles.end(), role) == node.roles.end())
    return no("the pool's role " + role + " is not one of this node's roles");
  for (const auto& c : constraints) {
    const std::string text = c.field + ":" + c.op + (c.value.empty() ? "" : ":" + c.value);
    auto mine = node.field(c.field);
    if (c.op == "UNLIKE") {
      if (mine && std::regex_match(*mine, std::regex(c.value))) return no(text + " excludes this node");
      continue;
    }
    if (!mine) return no(text + ": this node has no " + c.field);
    if (c.op == "IS" && *mine != c.value) return no(text + ": this node's " + c.field + " is " + *mine);
    if (c.op == "LIKE" && !std::regex_match(*mine, std::regex(c.value)))
      return no(text + ": this node's " + c.field + " is " + *mine);
    if (c.op == "CLUSTER") {
      std::optional<std::string> want = c.value.empty() ? std::nullopt : std::optional<std::string>(c.value);
      for (const auto& o : others)
        if (!want) want = o.field(c.field);
      if (want && *mine != *want) return no(text + ": instances run on " + c.field + " " + *want);
    }
    if (c.op == "UNIQUE" || c.op == "MAX_PER") {
      const long limit = c.op == "UNIQUE" ? 1 : std::stol(c.value);
      long same =
          std::count_if(others.begin(), others.end(), [&](const NodeIdentity& o) { return o.field(c.field) == mine; });
      if (same >= limit)
        return no(text + ": " + std::to_string(same) + " instance(s) already on " + c.field + " " + *mine);
    }
  }
  return true;
}

}  // namespace edgelb::cp
