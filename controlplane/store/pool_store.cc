#include "store/pool_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "common/hex.h"
#include "crypto/x509_issuer.h"

namespace edgelb::cp {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string version_node(int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%010lld", static_cast<long long>(v));
  return buf;
}

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

std::string unb64(const std::string& in) {
  std::string out(3 * (in.size() / 4) + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return "";
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  return out;
}

StoreResult result(StoreResult::Code code, std::string message, int64_t version = 0, FieldErrors errors = {}) {
  StoreResult r;
  r.code = code;
  r.message = std::move(message);
  r.current_version = version;
  r.errors = std::move(errors);
  return r;
}

// How long a write keeps trying to find out whether it landed, and to land.
constexpr auto kWriteBudget = std::chrono::seconds(30);

}  // namespace

std::string new_txn_id() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  return to_hex(raw, sizeof raw);
}

bool valid_secret_name(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9._-]{1,128}");
  return name != "." && name != ".." && std::regex_match(name, kName);
}

nlohmann::json PoolRecord::to_json() const {
  json j = {
      {"name", name}, {"version", version}, {"config", config}, {"updatedBy", updated_by}, {"updatedAt", updated_at_ms},
      {"txn", txn}};
  if (rolled_back_from) j["rolledBackFrom"] = rolled_back_from;
  return j;
}

std::optional<PoolRecord> PoolRecord::from_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j.contains("config")) return std::nullopt;
  PoolRecord r;
  r.name = j.value("name", "");
  r.version = j.value("version", int64_t{0});
  r.config = j["config"];
  r.updated_by = j.value("updatedBy", "");
  r.updated_at_ms = j.value("updatedAt", int64_t{0});
  r.rolled_back_from = j.value("rolledBackFrom", int64_t{0});
  r.txn = j.value("txn", "");
  return r;
}

PoolStore::PoolStore(ZkClient& zk, StoreOptions options, const SecretBox* secrets)
    : zk_(zk), options_(std::move(options)), secrets_(secrets) {
  while (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
}

void PoolStore::init() {
  zk_.ensure_path(options_.root + "/pools");
  zk_.ensure_path(options_.root + "/secrets");
  zk_.ensure_path(options_.root + "/apiservers");
}

StoreResult PoolStore::unavailable(int rc, const std::string& what) const {
  return result(StoreResult::kUnavailable, "ZooKeeper: " + what + ": " + zerror(rc));
}

StoreResult PoolStore::check_record_size(const std::string& data) const {
  if (data.size() <= options_.max_record_bytes) return {};
  return result(StoreResult::kInvalid, "configuration too large", 0,
                {{"", "the stored configuration is " + std::to_string(data.size()) + " bytes, over the limit of " +
                          std::to_string(options_.max_record_bytes) +
                          " bytes (ZooKeeper's znode limit, jute.maxbuffer, holds it twice: pool and history)"}});
}

std::vector<ZkOp> PoolStore::secret_checks(const json& config) const {
  std::vector<ZkOp> ops;
  if (config.contains("secrets") && config["secrets"].is_array())
    for (const auto& s : config["secrets"])
      if (s.is_object() && s.contains("secret") && s["secret"].is_string())
        ops.push_back(ZkOp::check(secret_path(s["secret"].get<std::string>()), -1));
  return ops;
}

constexpr char kAutocertNeedsKey[] =
    "autoCertificate needs the secret key (apiserver --secret-key-file): the generated key is stored encrypted";

std::optional<ZkOp> PoolStore::autocert_op(const std::string& name) const {
  if (!secrets_) return std::nullopt;
  CertRequest req;
  req.common_name = name + ".edgelb";
  req.dns_names = {name + ".edgelb", "localhost"};
  req.validity_days = options_.autocert_validity_days;
  KeyAndCert kc = self_signed(req);
  const std::string path = pool_path(name) + "/secrets/autocert";
  return ZkOp::create(path, json{{"cert", kc.cert_pem}, {"key", b64(secrets_->seal(kc.key_pem, path))}}.dump());
}

int PoolStore::read_children(const std::string& dir, std::vector<std::string>* names,
                             std::vector<std::optional<ZkNode>>* nodes) {
  int rc = zk_.children(dir, names);
  if (rc != ZOK) return rc;
  std::sort(names->begin(), names->end());
  std::vector<std::string> paths;
  for (const auto& n : *names) paths.push_back(dir + "/" + n);
  return zk_.get_many(paths, nodes);
}

// Maps a failed secret check back to the config path of the secret it names.
static StoreResult missing_secret(const json& config, const std::string& znode) {
  std::string name = znode.substr(znode.rfind('/') + 1);
  const json& secrets = config["secrets"];
  for (size_t i = 0; i < secrets.size(); ++i)
    if (secrets[i].value("secret", "") == name)
      return result(
          StoreResult::kInvalid, "invalid configuration", 0,
          {{"secrets[" + std::to_string(i) + "].secret", "no secret named \"" + name + "\" in the secret store"}});
  return result(StoreResult::kInvalid, "secret " + name + " is missing");
}

StoreResult PoolStore::create(const std::string& name, const json& config, const std::string& who) {
  PoolRecord rec{name, 1, config, who, now_ms(), 0, new_txn_id()};
  const std::string data = rec.to_json().dump();
  if (auto r = check_record_size(data); !r.ok()) return r;
  const std::string base = pool_path(name);
  std::vector<ZkOp> ops = {ZkOp::create(base, data),
                           ZkOp::create(base + "/history", ""),
                           ZkOp::create(base + "/history/" + version_node(1), data),
                           ZkOp::create(base + "/instances", ""),
                           ZkOp::create(base + "/running", ""),
                           ZkOp::create(base + "/secrets", "")};
  if (config.value("autoCertificate", false)) {
    auto op = autocert_op(name);
    if (!op) return result(StoreResult::kFailedPrecondition, kAutocertNeedsKey);
    ops.push_back(std::move(*op));
  }
  const size_t first_check = ops.size();
  for (auto& op : secret_checks(config)) ops.push_back(std::move(op));
  const auto deadline = Clock::now() + kWriteBudget;
  for (;;) {
    int failed = -1;
    int rc = zk_.multi(ops, &failed);
    if (rc == ZOK) {
      written(name, data);
      return result(StoreResult::kOk, "created", 1);
    }
    if (rc == ZNODEEXISTS && failed == 0) {
      PoolRecord cur;
      auto g = get(name, &cur);
      return result(StoreResult::kAlreadyExists, "pool " + name + " already exists", g.ok() ? cur.version : 0);
    }
    if (rc == ZNONODE && failed >= static_cast<int>(first_check)) return missing_secret(config, ops[failed].path);
    if (rc == ZNONODE && failed == 0) {
      init();
      continue;
    }
    if (!zk_outcome_unknown(rc) || Clock::now() > deadline) return unavailable(rc, "creating pool " + name);
    // Did it land? Our transaction id says.
    zk_.wait_connected(std::chrono::seconds(5));
    ZkNode node;
    int g = zk_.get(base, &node);
    if (g == ZOK) {
      auto cur = PoolRecord::from_json(node.data);
      if (cur && cur->txn == rec.txn) {
        written(name, node.data);
        return result(StoreResult::kOk, "created", 1);
      }
      return result(StoreResult::kAlreadyExists, "pool " + name + " already exists", cur ? cur->version : 0);
    }
  }
}

StoreResult PoolStore::update(const std::string& name, const json& config, int64_t expected_version,
                              const std::string& who) {
  return write_version(name, config, expected_version, who, 0);
}

StoreResult PoolStore::rollback(const std::string& name, int64_t to_version, int64_t expected_version,
                                const std::string& who) {
  ZkNode node;
  int rc = zk_.get(pool_path(name) + "/history/" + version_node(to_version), &node);
  if (rc == ZNONODE) {
    std::vector<PoolRecord> hist;
    auto h = history(name, &hist);
    if (!h.ok()) return h;
    std::string kept;
    if (!hist.empty())
      kept = " (kept: " + std::to_string(hist.back().version) + ".." + std::to_string(hist.front().version) + ")";
    return result(StoreResult::kNotFound,
                  "version " + std::to_string(to_version) + " of pool " + name + " is not in the history" + kept);
  }
  if (rc != ZOK) return unavailable(rc, "reading history of " + name);
  auto rec = PoolRecord::from_json(node.data);
  if (!rec)
    return result(StoreResult::kFailedPrecondition, "history entry " + std::to_string(to_version) + " is unreadable");
  return write_version(name, rec->config, expected_version, who, to_version);
}

StoreResult PoolStore::write_version(const std::string& name, const json& config, int64_t expected_version,
                                     const std::string& who, int64_t rolled_back_from) {
  const std::string base = pool_path(name);
  const std::string txn = new_txn_id();
  const auto deadline = Clock::now() + kWriteBudget;
  bool maybe_landed = false;
  for (;;) {
    ZkNode node;
    int rc = zk_.get(base, &node);
    if (rc == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + name);
    if (rc != ZOK) return unavailable(rc, "reading pool " + name);
    auto cur = PoolRecord::from_json(node.data);
    if (!cur) return result(StoreResult::kFailedPrecondition, "stored record of pool " + name + " is unreadable");
    if (maybe_landed && cur->txn == txn) {
      written(name, node.data);
      return result(StoreResult::kOk, "updated", cur->version);
    }
    if (expected_version != 0 && cur->version != expected_version)
      return result(StoreResult::kConflict,
                    "pool " + name + " is at version " + std::to_string(cur->version) + ", not " +
                        std::to_string(expected_version),
                    cur->version);
    PoolRecord rec{name, cur->version + 1, config, who, now_ms(), rolled_back_from, txn};
    const std::string data = rec.to_json().dump();
    if (auto r = check_record_size(data); !r.ok()) return r;
    std::vector<ZkOp> ops = {ZkOp::set(base, data, node.stat.version),
                             ZkOp::create(base + "/history/" + version_node(rec.version), data)};
    std::vector<std::string> hist;
    if (zk_.children(base + "/history", &hist) == ZOK)
      for (const auto& h : hist)
        if (std::stoll(h) + options_.history_limit <= rec.version) ops.push_back(ZkOp::remove(base + "/history/" + h));
    if (config.value("autoCertificate", false) && zk_.exists(base + "/secrets/autocert") == ZNONODE) {
      auto op = autocert_op(name);
      if (!op) return result(StoreResult::kFailedPrecondition, kAutocertNeedsKey);
      ops.push_back(std::move(*op));
    }
    const size_t first_check = ops.size();
    for (auto& op : secret_checks(config)) ops.push_back(std::move(op));
    int failed = -1;
    rc = zk_.multi(ops, &failed);
    if (rc == ZOK) {
      written(name, data);
      return result(StoreResult::kOk, "updated", rec.version);
    }
    if (rc == ZNONODE && failed >= static_cast<int>(first_check)) return missing_secret(config, ops[failed].path);
    if (Clock::now() > deadline) return unavailable(rc, "updating pool " + name);
    if (zk_outcome_unknown(rc)) {
      maybe_landed = true;
      zk_.wait_connected(std::chrono::seconds(5));
      continue;
    }
    // Lost a race (version moved, history trimmed or created by a concurrent writer): read
    // again; with an expected version the next pass reports the conflict.
    if (rc == ZBADVERSION || rc == ZNONODE || rc == ZNODEEXISTS) continue;
    return unavailable(rc, "updating pool " + name);
  }
}

StoreResult PoolStore::remove(const std::string& name, int64_t expected_version, const std::string&) {
  const std::string base = pool_path(name);
  const auto deadline = Clock::now() + kWriteBudget;
  bool maybe_landed = false;
  for (;;) {
    ZkNode node;
    int rc = zk_.get(base, &node);
    if (rc == ZNONODE) {
      if (!maybe_landed) return result(StoreResult::kNotFound, "no pool named " + name);
      deleted(name);
      return result(StoreResult::kOk, "deleted");
    }
    if (rc != ZOK) return unavailable(rc, "reading pool " + name);
    auto cur = PoolRecord::from_json(node.data);
    int64_t version = cur ? cur->version : 0;
    if (expected_version != 0 && version != expected_version)
      return result(
          StoreResult::kConflict,
          "pool " + name + " is at version " + std::to_string(version) + ", not " + std::to_string(expected_version),
          version);
    // The whole subtree, children before parents.
    std::vector<ZkOp> ops;
    std::function<bool(const std::string&)> collect = [&](const std::string& path) {
      std::vector<std::string> kids;
      int c = zk_.children(path, &kids);
      if (c == ZNONODE) return true;
      if (c != ZOK) return false;
      for (const auto& k : kids)
        if (!collect(path + "/" + k)) return false;
      if (path != base) ops.push_back(ZkOp::remove(path));
      return true;
    };
    if (!collect(base)) return unavailable(ZCONNECTIONLOSS, "listing pool " + name);
    ops.push_back(ZkOp::remove(base, node.stat.version));
    rc = zk_.multi(ops);
    if (rc == ZOK) {
      deleted(name);
      return result(StoreResult::kOk, "deleted", version);
    }
    if (Clock::now() > deadline) return unavailable(rc, "deleting pool " + name);
    if (zk_outcome_unknown(rc)) {
      maybe_landed = true;
      zk_.wait_connected(std::chrono::seconds(5));
      continue;
    }
    if (rc == ZBADVERSION || rc == ZNONODE || rc == ZNOTEMPTY) continue;  // the subtree changed meanwhile
    return unavailable(rc, "deleting pool " + name);
  }
}

StoreResult PoolStore::get(const std::string& name, PoolRecord* out) {
  ZkNode node;
  int rc = zk_.get(pool_path(name), &node);
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + name);
  if (rc != ZOK) return unavailable(rc, "reading pool " + name);
  auto rec = PoolRecord::from_json(node.data);
  if (!rec) return result(StoreResult::kFailedPrecondition, "stored record of pool " + name + " is unreadable");
  *out = std::move(*rec);
  return result(StoreResult::kOk, "", out->version);
}

void PoolStore::start_summary_cache() {
  if (!summary_cache_) summary_cache_ = std::make_unique<PoolSummaryCache>(zk_, options_.root + "/pools");
}

void PoolStore::written(const std::string& name, const std::string& record_json) {
  if (summary_cache_) summary_cache_->put(name, record_json);
}

void PoolStore::deleted(const std::string& name) {
  if (summary_cache_) summary_cache_->forget(name);
}

StoreResult PoolStore::list(std::vector<PoolSummary>* out) {
  if (summary_cache_ && summary_cache_->list(out)) return {};
  std::vector<std::string> names;
  int rc = zk_.children(options_.root + "/pools", &names);
  out->clear();
  if (rc == ZNONODE) return {};
  if (rc != ZOK) return unavailable(rc, "listing pools");
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  for (const auto& n : names) {
    paths.push_back(pool_path(n));
    paths.push_back(pool_path(n) + "/instances");
  }
  std::vector<std::optional<ZkNode>> nodes;
  rc = zk_.get_many(paths, &nodes);
  if (rc != ZOK) return unavailable(rc, "reading pools");
  for (size_t i = 0; i < names.size(); ++i) {
    if (!nodes[2 * i]) continue;  // deleted meanwhile
    const size_t instances = nodes[2 * i + 1] ? static_cast<size_t>(nodes[2 * i + 1]->stat.num_children) : 0;
    if (auto s = summarize_record(names[i], nodes[2 * i]->data, instances)) out->push_back(std::move(*s));
  }
  return {};
}

StoreResult PoolStore::history(const std::string& name, std::vector<PoolRecord>* out) {
  std::vector<std::string> kids;
  std::vector<std::optional<ZkNode>> nodes;
  int rc = read_children(pool_path(name) + "/history", &kids, &nodes);
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + name);
  if (rc != ZOK) return unavailable(rc, "reading history of " + name);
  std::reverse(nodes.begin(), nodes.end());  // newest first
  out->clear();
  for (auto& n : nodes)
    if (n)
      if (auto rec = PoolRecord::from_json(n->data)) out->push_back(std::move(*rec));
  return {};
}

StoreResult PoolStore::instances(const std::string& name, std::vector<InstanceRegistration>* out) {
  std::vector<std::string> kids;
  std::vector<std::optional<ZkNode>> nodes;
  int rc = read_children(pool_path(name) + "/instances", &kids, &nodes);
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + name);
  if (rc != ZOK) return unavailable(rc, "reading instances of " + name);
  out->clear();
  for (size_t i = 0; i < kids.size(); ++i) {
    if (!nodes[i]) continue;
    json data = json::parse(nodes[i]->data, nullptr, false);
    if (data.is_discarded()) data = json{{"unparsable", nodes[i]->data.substr(0, 200)}};
    out->push_back({kids[i], std::move(data), nodes[i]->stat.mtime_ms, nodes[i]->stat.ephemeral_owner});
  }
  return {};
}

StoreResult PoolStore::running_configs(const std::string& name, std::vector<RunningConfig>* out) {
  std::vector<std::string> kids;
  std::vector<std::optional<ZkNode>> nodes;
  out->clear();
  int rc = read_children(pool_path(name) + "/running", &kids, &nodes);
  if (rc == ZNONODE) {  // a pool from before `running`, or none
    if (zk_.exists(pool_path(name)) == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + name);
    return {};
  }
  if (rc != ZOK) return unavailable(rc, "reading the running configurations of " + name);
  for (size_t i = 0; i < kids.size(); ++i) {
    if (!nodes[i]) continue;
    const json data = json::parse(nodes[i]->data, nullptr, false);
    if (!data.is_object()) continue;
    RunningConfig c;
    c.instance = kids[i];
    c.config_hash = data.value("configHash", "");
    c.bytes = data.value("bytes", uint64_t{0});
    c.config = data.value("config", "");
    c.complete = data.contains("config");
    c.written_at_ms = nodes[i]->stat.mtime_ms;
    out->push_back(std::move(c));
  }
  return {};
}

StoreResult PoolStore::auto_certificate(const std::string& name, std::string* cert_pem, std::string* key_pem) {
  const std::string path = pool_path(name) + "/secrets/autocert";
  ZkNode node;
  int rc = zk_.get(path, &node);
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "pool " + name + " has no autoCertificate");
  if (rc != ZOK) return unavailable(rc, "reading the autoCertificate of " + name);
  json j = json::parse(node.data, nullptr, false);
  *cert_pem = j.is_object() ? j.value("cert", "") : "";
  if (key_pem) {
    if (!secrets_)
      return result(StoreResult::kFailedPrecondition, "no secret key: cannot open the autoCertificate key");
    std::string sealed = unb64(j.is_object() ? j.value("key", "") : "");
    auto key = secrets_->open(sealed, path);
    if (!key) return result(StoreResult::kFailedPrecondition, "the autoCertificate key of " + name + " does not open");
    *key_pem = *key;
  }
  return {};
}

StoreResult PoolStore::put_template(const std::string& pool, const std::string& text, const std::string&) {
  if (text.size() > options_.max_template_bytes)
    return result(StoreResult::kInvalid, "template too large", 0,
                  {{"template", std::to_string(text.size()) + " bytes, over the limit of " +
                                    std::to_string(options_.max_template_bytes)}});
  const std::string path = pool_path(pool) + "/template";
  const auto deadline = Clock::now() + kWriteBudget;
  for (;;) {
    ZkNode cur;
    int rc = zk_.get(path, &cur);
    if (rc == ZOK && cur.data == text) return result(StoreResult::kOk, "template unchanged", cur.stat.version + 1);
    std::vector<ZkOp> ops = {ZkOp::check(pool_path(pool), -1)};
    if (rc == ZOK)
      ops.push_back(ZkOp::set(path, text, cur.stat.version));
    else if (rc == ZNONODE)
      ops.push_back(ZkOp::create(path, text));
    else
      return unavailable(rc, "reading the template of " + pool);
    int failed = -1;
    rc = zk_.multi(ops, &failed);
    if (rc == ZOK)
      return result(StoreResult::kOk, "template stored", ops[1].type == ZkOp::Type::kSet ? cur.stat.version + 2 : 1);
    if (rc == ZNONODE && failed == 0) return result(StoreResult::kNotFound, "no pool named " + pool);
    if (Clock::now() > deadline) return unavailable(rc, "storing the template of " + pool);
    if (zk_outcome_unknown(rc))
      zk_.wait_connected(std::chrono::seconds(5));
    else if (rc != ZBADVERSION && rc != ZNODEEXISTS && rc != ZNONODE)
      return unavailable(rc, "storing the template of " + pool);
  }
}

StoreResult PoolStore::get_template(const std::string& pool, std::string* text) {
  ZkNode node;
  int rc = zk_.get(pool_path(pool) + "/template", &node);
  if (rc == ZNONODE) {
    if (zk_.exists(pool_path(pool)) == ZNONODE) return result(StoreResult::kNotFound, "no pool named " + pool);
    return result(StoreResult::kNotFound, "pool " + pool + " uses the default template");
  }
  if (rc != ZOK) return unavailable(rc, "reading the template of " + pool);
  *text = node.data;
  return result(StoreResult::kOk, "", node.stat.version + 1);
}

StoreResult PoolStore::delete_template(const std::string& pool, const std::string&) {
  int rc = zk_.remove(pool_path(pool) + "/template", -1);
  if (zk_outcome_unknown(rc)) {
    zk_.wait_connected(std::chrono::seconds(5));
    rc = zk_.exists(pool_path(pool) + "/template") == ZNONODE ? ZOK : zk_.remove(pool_path(pool) + "/template", -1);
  }
  if (rc == ZOK) return result(StoreResult::kOk, "template deleted");
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "pool " + pool + " has no custom template");
  return unavailable(rc, "deleting the template of " + pool);
}

StoreResult PoolStore::put_secret(const std::string& name, const std::string& value, const std::string&) {
  if (!secrets_)
    return result(StoreResult::kFailedPrecondition, "secrets need the secret key (apiserver --secret-key-file)");
  if (!valid_secret_name(name))
    return result(StoreResult::kInvalid, "invalid secret name", 0, {{"name", "must match [A-Za-z0-9._-]{1,128}"}});
  if (value.size() > options_.max_secret_bytes)
    return result(StoreResult::kInvalid, "secret too large", 0,
                  {{"value", std::to_string(value.size()) + " bytes, over the limit of " +
                                 std::to_string(options_.max_secret_bytes)}});
  const std::string path = secret_path(name);
  const std::string sealed = secrets_->seal(value, path);
  const auto deadline = Clock::now() + kWriteBudget;
  for (;;) {
    int rc = zk_.set(path, sealed, -1);
    if (rc == ZNONODE) rc = zk_.create(path, sealed);
    if (rc == ZOK) return result(StoreResult::kOk, "secret stored");
    if (rc == ZNODEEXISTS) continue;  // created concurrently: overwrite
    if (!zk_outcome_unknown(rc) || Clock::now() > deadline) return unavailable(rc, "storing secret " + name);
    zk_.wait_connected(std::chrono::seconds(5));
    if (read_secret(name) == value) return result(StoreResult::kOk, "secret stored");
  }
}

StoreResult PoolStore::delete_secret(const std::string& name, const std::string&) {
  std::vector<PoolSummary> pools;
  if (auto l = list(&pools); !l.ok()) return l;
  FieldErrors users;
  for (const auto& p : pools) {
    PoolRecord rec;
    if (!get(p.name, &rec).ok()) continue;
    const json& secrets = rec.config.contains("secrets") ? rec.config["secrets"] : json::array();
    for (size_t i = 0; secrets.is_array() && i < secrets.size(); ++i)
      if (secrets[i].is_object() && secrets[i].value("secret", "") == name)
        users.push_back({"pool " + p.name + ": secrets[" + std::to_string(i) + "].secret", "uses this secret"});
  }
  if (!users.empty())
    return result(StoreResult::kFailedPrecondition, "secret " + name + " is in use", 0, std::move(users));
  int rc = zk_.remove(secret_path(name), -1);
  if (zk_outcome_unknown(rc)) {
    zk_.wait_connected(std::chrono::seconds(5));
    rc = zk_.exists(secret_path(name)) == ZNONODE ? ZOK : zk_.remove(secret_path(name), -1);
  }
  if (rc == ZOK) return result(StoreResult::kOk, "secret deleted");
  if (rc == ZNONODE) return result(StoreResult::kNotFound, "no secret named " + name);
  return unavailable(rc, "deleting secret " + name);
}

StoreResult PoolStore::list_secrets(std::vector<SecretInfo>* out) {
  std::vector<std::string> names;
  std::vector<std::optional<ZkNode>> nodes;
  int rc = read_children(options_.root + "/secrets", &names, &nodes);
  out->clear();
  if (rc == ZNONODE) return {};
  if (rc != ZOK) return unavailable(rc, "reading secrets");
  for (size_t i = 0; i < names.size(); ++i)
    if (nodes[i]) {
      // Sealed size minus magic, nonce and tag is the plaintext size.
      size_t n = nodes[i]->data.size() >= 32 ? nodes[i]->data.size() - 32 : 0;
      out->push_back({names[i], n, nodes[i]->stat.mtime_ms, nodes[i]->stat.version + 1});
    }
  return {};
}

bool PoolStore::secret_exists(const std::string& name) {
  return valid_secret_name(name) && zk_.exists(secret_path(name)) == ZOK;
}

std::optional<std::string> PoolStore::read_secret(const std::string& name) {
  if (!secrets_ || !valid_secret_name(name)) return std::nullopt;
  ZkNode node;
  if (zk_.get(secret_path(name), &node) != ZOK) return std::nullopt;
  return secrets_->open(node.data, secret_path(name));
}

}  // namespace edgelb::cp
