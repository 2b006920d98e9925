#include "api/auth.h"

#include <grpcpp/grpcpp.h>
#include <openssl/sha.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "common/hex.h"
#include "crypto/x509_issuer.h"

namespace edgelb::cp {

const char* role_name(Role r) {
  switch (r) {
    case Role::kAgent: return "agent";
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

std::optional<Role> parse_role(const std::string& s) {
  if (s == "agent") return Role::kAgent;
  if (s == "viewer") return Role::kViewer;
  if (s == "operator") return Role::kOperator;
  if (s == "admin") return Role::kAdmin;
  if (s == "none") return Role::kNone;
  return std::nullopt;
}

std::string sha256_hex(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return to_hex(d, sizeof d);
}

Authorizer::Authorizer(const std::string& tokens_file, Role anonymous) : anonymous_(anonymous) {
  if (tokens_file.empty()) return;
  YAML::Node root;
  try {
    root = YAML::LoadFile(tokens_file);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("tokens file " + tokens_file + ": " + e.what());
  }
  YAML::Node list = root["tokens"];
  if (!list.IsSequence()) throw std::runtime_error("tokens file " + tokens_file + ": needs a `tokens:` list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "tokens file " + tokens_file + ": tokens[" + std::to_string(i) + "]";
    const YAML::Node t = list[i];
    std::string name = t["name"] ? t["name"].as<std::string>() : "";
    auto role = parse_role(t["role"] ? t["role"].as<std::string>() : "");
    if (name.empty() || !role || *role == Role::kNone)
      throw std::runtime_error(where + ": needs name and role (viewer, operator or admin)");
    std::string digest;
    if (t["sha256"])
      digest = t["sha256"].as<std::string>();
    else if (t["token"])
      digest = sha256_hex(t["token"].as<std::string>());
    if (digest.size() != 64) throw std::runtime_error(where + ": needs token or sha256 (64 hex digits)");
    tokens_[digest] = Caller{"token:" + name, *role};
  }
}

grpc::Status Authorizer::authorize(const grpc::ServerContext& ctx, Role needed, Caller* out, bool agent_allowed) const {
  Caller caller{"anonymous", anonymous_};
  bool identified = false;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    std::string v(it->second.data(), it->second.size());
    static const std::string kBearer = "Bearer ";
    if (v.rfind(kBearer, 0) != 0) return grpc::Status(grpc::UNAUTHENTICATED, "authorization must be a Bearer token");
    auto t = tokens_.find(sha256_hex(v.substr(kBearer.size())));
    if (t == tokens_.end()) return grpc::Status(grpc::UNAUTHENTICATED, "unknown bearer token");
    caller = t->second;
    identified = true;
  } else if (auto auth = ctx.auth_context(); auth && auth->IsPeerAuthenticated()) {
    auto pem = auth->FindPropertyValues("x509_pem_cert");
    if (!pem.empty()) {
      CertSubject subject = read_subject(std::string(pem.front().data(), pem.front().size()));
      auto role = parse_role(subject.organizational_unit);
      if (!role || *role == Role::kNone)
        return grpc::Status(grpc::PERMISSION_DENIED,
                            "client certificate CN=" + subject.common_name +
                                " has no edgelb role in its OU (viewer, operator, admin or agent)");
      caller = Caller{"cn:" + subject.common_name, *role};
      identified = true;
    }
  }
  if (!identified && anonymous_ == Role::kNone)
    return grpc::Status(grpc::UNAUTHENTICATED, "no client certificate or bearer token");
  if (out) *out = caller;
  if (caller.role == Role::kAgent && agent_allowed) return grpc::Status::OK;
  if (static_cast<int>(caller.role) < static_cast<int>(needed))
    return grpc::Status(grpc::PERMISSION_DENIED,
                        caller.name + " has role " + role_name(caller.role) + "; this call needs " + role_name(needed));
  return grpc::Status::OK;
}

}  // namespace edgelb::cp
