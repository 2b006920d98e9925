// Which nodes may run a pool's instances: the pool's `role` and Marathon-style `constraints`.
//
// Supported constraints (Marathon's syntax: "field:OPERATOR[:value]", several separated by
// commas, or Marathon's JSON form [["field","OPERATOR","value"], ...]); `field` is
// `hostname` (the node name) or one of the node's attributes:
//   UNIQUE        no two instances of the pool on the same value
//   MAX_PER:n     at most n instances per value
//   CLUSTER:v     only on nodes whose value is v (CLUSTER alone: the value the first holds)
//   IS:v          the value is v
//   LIKE:re       the value fully matches the regular expression
//   UNLIKE:re     the value does not match it
// GROUP_BY (spreading, a scheduler's preference) is not supported and is reported as such.
// A node without the attribute fails every constraint on it except UNLIKE.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgelb::cp {

struct NodeIdentity {
  std::string name;
  std::vector<std::string> roles;
  std::map<std::string, std::string> attributes;
  // The value a constraint field reads ("hostname" is the node name); nullopt when absent.
  std::optional<std::string> field(const std::string& f) const;
};

struct PlacementConstraint {
  std::string field, op, value;
};

// Throws std::invalid_argument("constraints: ...") for what it cannot read or does not support.
std::vector<PlacementConstraint> parse_constraints(const std::string& text);

// Whether `node` may hold an instance of a pool with `role` and `constraints`, given the nodes
// that hold its other instances. `why` (when not null) says why not.
bool placement_admits(const NodeIdentity& node, const std::string& role,
                      const std::vector<PlacementConstraint>& constraints, const std::vector<NodeIdentity>& others,
                      std::string* why = nullptr);

}  // namespace edgelb::cp
