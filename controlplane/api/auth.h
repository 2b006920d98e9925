// Who is calling and what they may do. A caller is identified by a bearer token
// ("authorization: Bearer <token>", looked up in the tokens file) or, over mutual TLS, by its
// client certificate (CN = name, OU = role). Roles are ordered: viewer < operator < admin.
// Tokens are kept only as SHA-256 digests in memory. Thread-safe after construction.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace grpc {
class ServerContext;
class Status;
}  // namespace grpc

namespace edgelb::cp {

// kAgent (edgelb-agent) is outside the order: it may make only the calls that accept it
// (reading pools, templates, rendered configs and endpoints), nothing else.
enum class Role { kAgent = -1, kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };
const char* role_name(Role r);
std::optional<Role> parse_role(const std::string& s);

struct Caller {
  std::string name;  // "cn:<CN>", "token:<name>", "anonymous"
  Role role = Role::kNone;
};

class Authorizer {
 public:
  // tokens_file: YAML list of {name, role, token | sha256}; "" for none.
  // anonymous: the role of callers that present neither (kNone: they are refused).
  // Throws std::runtime_error naming the file and entry on a bad tokens file.
  Authorizer(const std::string& tokens_file, Role anonymous);

  // Identifies the caller; UNAUTHENTICATED for an unknown token or no identity,
  // PERMISSION_DENIED when its role is below `needed` (an agent: unless `agent_allowed`).
  grpc::Status authorize(const grpc::ServerContext& ctx, Role needed, Caller* out, bool agent_allowed = false) const;

 private:
  std::map<std::string, Caller> tokens_;  // sha256 hex -> caller
  Role anonymous_;
};

std::string sha256_hex(const std::string& data);

}  // namespace edgelb::cp
