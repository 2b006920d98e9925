// What keeps a pool's text inside its line of haproxy.cfg. The renderer (haproxy/) writes pool
// strings into HAProxy's configuration language, whose words end at blanks, whose comments
// start at '#', and which interprets quotes and backslashes. This check rejects, with the JSON
// path of each problem, whatever the renderer could not write safely:
//   - control characters (newline, CR, tab, NUL, DEL, ...) in any string of the pool that
//     lands in haproxy.cfg: everything but the values of environmentVariables, which become
//     files (ELB_FILE_<X>: a PEM keeps its line breaks) or task environment (no NUL there);
//   - frontend and backend names outside HAProxy's proxy-name alphabet [A-Za-z0-9_.:-];
//   - bind addresses that are not an address or host name ([A-Za-z0-9.:-]);
//   - a single quote in the values the renderer quotes (hosts, paths, regexes, rewrite
//     targets): HAProxy's single quotes cannot contain one.
// Free-form HAProxy text (miscStrs, bindModifier, endpoint.miscStr, check strings, balance
// arguments, sticky customStr) is the operator's HAProxy and stays on its own line; it is
// checked for control characters only, and `haproxy -c` judges the rest before anything runs.
// Pure and thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "dataplane/rpc/field_error.h"

namespace edgelb::cp {

void check_haproxy_text(const nlohmann::json& pool, FieldErrors* errors);

// Whether `name` may name an HAProxy proxy (frontend/backend) or server.
bool haproxy_name_ok(const std::string& name);

}  // namespace edgelb::cp
