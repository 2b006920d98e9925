// Reads a pool configuration as an operator wrote it, JSON or YAML, into one JSON document.
//
// Edge-LB accepts both formats; YAML scalars get YAML 1.2 core-schema types (plain `80` is an
// integer, `"80"` a string, `true` a boolean, `~`/`null` null), so a YAML file and its JSON
// twin read the same. Duplicate keys are errors in both formats (JSON parsers disagree on which
// one wins; the apiserver refuses to guess). Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "dataplane/rpc/field_error.h"

namespace edgelb::cp {

enum class DocumentFormat { kAuto, kJson, kYaml };

// Parses `text`. kAuto: JSON when the first non-blank character is '{', YAML otherwise.
// On failure returns nullopt and appends errors (path "" or the key path, reason with line).
std::optional<nlohmann::json> parse_document(const std::string& text, DocumentFormat format, FieldErrors& errors);

// Reads a file (errors name it). Format from the extension (.json/.yaml/.yml) else kAuto.
std::optional<nlohmann::json> load_document_file(const std::string& file, FieldErrors& errors);

}  // namespace edgelb::cp
