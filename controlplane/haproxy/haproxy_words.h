// Writing values into HAProxy's configuration language (haproxy.cfg). A word ends at a blank,
// '#' starts a comment, and quotes and backslashes are interpreted; inside single quotes
// nothing is. Every value the renderer takes from a pool or from Mesos goes through these.
// Pure functions, thread-safe. Each throws std::invalid_argument when a value cannot be
// written at all (a control character, or a single quote where quoting is needed); the pool
// validator rejects such values first (pool/haproxy_text_check.h).
#pragma once

#include <string>

namespace edgelb::haproxy {

// The value as one word: as is when it holds only [A-Za-z0-9._~/:@+=,&?[]-], else single-quoted.
std::string word(const std::string& value);
// PCRE2 pattern matching `text` literally (metacharacters escaped).
std::string regex_literal(const std::string& text);
// `text` inside a log-format string (http-request set-header, replace-path): '%' doubled.
std::string log_format_literal(const std::string& text);
// "addr:port" for a bind or server line; IPv6 literals in brackets.
std::string host_port(const std::string& address, uint32_t port);
// Throws std::invalid_argument("<what>: ...") if `text` holds a control character (free-form
// HAProxy text such as miscStrs stays on its own line; anything else is the operator's).
void require_one_line(const std::string& text, const std::string& what);

}  // namespace edgelb::haproxy
