// The pool configuration schema: Edge-LB's V2 pool schema, field for field
// (tests/fixtures/edgelb-pools/v2-schema.md), plus edgelb's optional `fastPath` block
// (docs/apiserver.md, "Pool configuration"). One declarative tree drives both the structural check (types,
// nullability, ranges, enums, unknown fields) and `edgelbctl show --reference`.
// Semantic checks (cross references, regexes, certificates) are pool_validator's.
// The tree is built once and immutable: thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/rpc/field_error.h"

namespace edgelb::cp {

struct SchemaNode {
  enum class Kind {
    kString,
    kInt32,   // JSON integer within [min, max] (default the int32 range)
    kNumber,  // any JSON number within [min, max]
    kBool,
    kObject,       // fixed fields; unknown keys are errors
    kArray,        // of `element`
    kStringMap,    // object whose values are strings (environmentVariables)
    kStringOrMap,  // a string, or an object of strings (virtualNetworks[].labels, see the schema notes)
  };
  Kind kind = Kind::kString;
  bool nullable = false;
  std::optional<double> min, max;
  std::vector<std::string> one_of;  // allowed string values (exact match)
  std::vector<std::pair<std::string, std::shared_ptr<const SchemaNode>>> fields;
  std::shared_ptr<const SchemaNode> element;
  std::string default_text;  // for the reference only
  std::string description;
};

// The root of the pool schema.
const SchemaNode& pool_schema();

// Appends every structural problem of `doc` against `schema` (rooted at `path`).
void check_schema(const nlohmann::json& doc, const SchemaNode& schema, const std::string& path, FieldErrors& errors);

// The reference: one line per field path with type, default and description.
std::string schema_reference();

// Field names accepted as another spelling of a schema field: Edge-LB (Go, case-insensitive
// JSON keys) accepted `poolHealthcheckTimeout` for the documented `poolhealthcheckTimeout`.
// Returns the canonical name, or "" when `name` is not an alias.
std::string canonical_alias(const std::string& name);

}  // namespace edgelb::cp
