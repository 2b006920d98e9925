// Pool state in ZooKeeper, under one root (default /edgelb):
//
//   <root>/pools/<name>                  PoolRecord (JSON), version N = znode data version + 1
//   <root>/pools/<name>/history/<N>      the record of version N (10 digits); the last
//                                        `history_limit` versions are kept, for rollback
//   <root>/pools/<name>/template         the pool's custom HAProxy template (absent: default)
//   <root>/pools/<name>/secrets/autocert the autoCertificate: {"cert": PEM, "key": sealed}
//   <root>/pools/<name>/instances/<id>   ephemeral registrations of running pool instances
//   <root>/pools/<name>/running/<id>     ephemeral: the haproxy.cfg each instance runs (the agent's)
//   <root>/secrets/<name>                operator secrets (TLS keys), sealed (SecretBox)
//   <root>/apiservers/<id>               ephemeral registrations of running apiservers
//
// Every change of more than one znode is one zoo_multi: create, update (compare-and-set on the
// version, plus the history entry and the trim of old entries), rollback and delete (the whole
// subtree) are all-or-nothing. Each write carries a random transaction id; when ZooKeeper
// loses the connection mid-write the store reads back and either recognises its own write or
// retries it, so a retried call never applies twice or half.
//
// Configs are validated by the caller (pool_validator); the store checks sizes and that every
// secret the config names exists, inside the same transaction. Secrets are sealed before they
// leave the process and never logged. Thread-safe: calls may run concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secret_box.h"
#include "dataplane/rpc/field_error.h"
#include "store/pool_summary.h"
#include "store/pool_summary_cache.h"
#include "zk/zk_client.h"

namespace edgelb::cp {

struct StoreOptions {
  std::string root = "/edgelb";
  uint32_t history_limit = 10;
  // One update writes the record twice (pool node + history entry) in one request, which
  // ZooKeeper caps at jute.maxbuffer (1 MiB by default): a record may use at most this much.
  size_t max_record_bytes = 480 * 1024;
  size_t max_template_bytes = 480 * 1024;
  size_t max_secret_bytes = 64 * 1024;
  int autocert_validity_days = 3650;
};

struct PoolRecord {
  std::string name;
  int64_t version = 0;
  nlohmann::json config;
  std::string updated_by;
  int64_t updated_at_ms = 0;
  int64_t rolled_back_from = 0;  // the history version this one restored (0: none)
  std::string txn;               // transaction id of the write that made this version
  nlohmann::json to_json() const;
  static std::optional<PoolRecord> from_json(const std::string& text);
};

struct InstanceRegistration {
  std::string id;       // znode name
  nlohmann::json data;  // as the agent wrote it (host, appliedVersion, healthy, ...)
  int64_t registered_at_ms = 0;
  int64_t session = 0;
};

// What one instance runs, as its agent wrote it (<pool>/running/<instance>).
struct RunningConfig {
  std::string instance;     // "instance-0", ...
  std::string config_hash;  // SHA-256 of the text (the registration's configHash)
  uint64_t bytes = 0;
  std::string config;  // the haproxy.cfg text; "" when it was too large to store (!complete)
  bool complete = false;
  int64_t written_at_ms = 0;
};

struct SecretInfo {
  std::string name;
  size_t bytes = 0;  // plaintext size
  int64_t updated_at_ms = 0;
  int32_t version = 0;
};

struct StoreResult {
  enum Code { kOk, kNotFound, kAlreadyExists, kConflict, kInvalid, kFailedPrecondition, kUnavailable };
  Code code = kOk;
  std::string message;
  FieldErrors errors;
  int64_t current_version = 0;  // the pool's version after the call (or the one that conflicted)
  bool ok() const { return code == kOk; }
};

class PoolStore {
 public:
  // `secrets` may be null: then autoCertificate pools and secret writes are refused.
  PoolStore(ZkClient& zk, StoreOptions options, const SecretBox* secrets);

  // Creates the root's top-level nodes (idempotent). Throws ZkError when ZooKeeper refuses.
  void init();

  StoreResult create(const std::string& name, const nlohmann::json& config, const std::string& who);
  // expected_version 0: unconditional (still atomic). Conflict: current_version says the live one.
  StoreResult update(const std::string& name, const nlohmann::json& config, int64_t expected_version,
                     const std::string& who);
  StoreResult remove(const std::string& name, int64_t expected_version, const std::string& who);
  StoreResult rollback(const std::string& name, int64_t to_version, int64_t expected_version, const std::string& who);

  StoreResult get(const std::string& name, PoolRecord* out);
  // Every pool, sorted by name: from the summary cache once it is complete, else read from
  // ZooKeeper (two pipelined reads per pool).
  StoreResult list(std::vector<PoolSummary>* out);
  // Keeps pool summaries in memory from watches (PoolSummaryCache), for list(). Call once, after
  // init(); this store's own writes update the cache at once.
  void start_summary_cache();
  const PoolSummaryCache* summary_cache() const { return summary_cache_.get(); }
  StoreResult history(const std::string& name, std::vector<PoolRecord>* out);
  StoreResult instances(const std::string& name, std::vector<InstanceRegistration>* out);
  // The configurations the pool's instances run, by instance (empty before any agent wrote one).
  StoreResult running_configs(const std::string& name, std::vector<RunningConfig>* out);
  // The pool's autoCertificate: the PEM certificate; with key_pem, also its private key opened
  // with the secret key (the agent installs both for HAProxy).
  StoreResult auto_certificate(const std::string& name, std::string* cert_pem, std::string* key_pem = nullptr);

  StoreResult put_template(const std::string& pool, const std::string& text, const std::string& who);
  StoreResult get_template(const std::string& pool, std::string* text);  // kNotFound: default template
  StoreResult delete_template(const std::string& pool, const std::string& who);

  StoreResult put_secret(const std::string& name, const std::string& value, const std::string& who);
  StoreResult delete_secret(const std::string& name, const std::string& who);
  StoreResult list_secrets(std::vector<SecretInfo>* out);
  bool secret_exists(const std::string& name);
  // Decrypts a secret (for agents rendering configs on this host); nullopt when absent or
  // when it does not open with this key.
  std::optional<std::string> read_secret(const std::string& name);

  std::string pool_path(const std::string& name) const { return options_.root + "/pools/" + name; }
  std::string secret_path(const std::string& name) const { return options_.root + "/secrets/" + name; }
  const StoreOptions& options() const { return options_; }
  ZkClient& zk() { return zk_; }

 private:
  StoreResult write_version(const std::string& name, const nlohmann::json& config, int64_t expected_version,
                            const std::string& who, int64_t rolled_back_from);
  StoreResult check_record_size(const std::string& data) const;
  std::vector<ZkOp> secret_checks(const nlohmann::json& config) const;
  StoreResult unavailable(int rc, const std::string& what) const;
  // The create op of the pool's autoCertificate (new key, sealed); nullopt without a SecretBox.
  std::optional<ZkOp> autocert_op(const std::string& name) const;
  // Every child of `dir`, sorted by name, read in one pipelined batch.
  int read_children(const std::string& dir, std::vector<std::string>* names, std::vector<std::optional<ZkNode>>* nodes);

  // After a successful write of pool `name`: the summary cache takes the record (or drops it).
  void written(const std::string& name, const std::string& record_json);
  void deleted(const std::string& name);

  ZkClient& zk_;
  StoreOptions options_;
  const SecretBox* secrets_;
  std::unique_ptr<PoolSummaryCache> summary_cache_;
};

// A random 128-bit transaction id, hex.
std::string new_txn_id();
// Secret names: [A-Za-z0-9._-]{1,128}, not "." or "..".
bool valid_secret_name(const std::string& name);

}  // namespace edgelb::cp
