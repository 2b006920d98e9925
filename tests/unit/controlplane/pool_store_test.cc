// PoolStore and ZkClient against a real ZooKeeper server: versions and compare-and-set,
// history and rollback, subtree delete, ACLs, encrypted secrets, size limits, and what
// happens when ZooKeeper restarts or the session expires in the middle of operations —
// verified by reading ZooKeeper directly.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <thread>

#include "crypto/secret_box.h"
#include "store/pool_store.h"
#include "zk_server.h"

namespace edgelb::cp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::array<unsigned char, 32> test_key(unsigned char seed) {
  std::array<unsigned char, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(seed + i);
  return k;
}

json pool_config(int counter = 0) {
  json c = json::parse(R"({"apiVersion":"V2","name":"web","haproxy":{"frontends":[{"bindPort":80,"protocol":"HTTP",
      "linkBackend":{"defaultBackend":"app"}}],"backends":[{"name":"app","protocol":"HTTP",
      "services":[{"marathon":{"serviceID":"/app"},"endpoint":{"portName":"web"}}]}]}})");
  c["environmentVariables"] = {{"COUNTER", std::to_string(counter)}};
  return c;
}
int counter_of(const json& c) { return std::stoi(c["environmentVariables"]["COUNTER"].get<std::string>()); }

class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test::ZkServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    opts_.hosts = server_->hosts();
    opts_.session_timeout = 4000ms;
    zk_ = std::make_unique<ZkClient>(opts_);
    ASSERT_TRUE(zk_->wait_connected(10s));
    StoreOptions so;
    so.root = "/t-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    so.history_limit = 4;
    store_ = std::make_unique<PoolStore>(*zk_, so, &box_);
    store_->init();
  }
  // Everything under `path`, for direct checks.
  std::vector<std::string> tree(const std::string& path) {
    std::vector<std::string> out, kids;
    if (zk_->children(path, &kids) != ZOK) return out;
    out.push_back(path);
    std::sort(kids.begin(), kids.end());
    for (const auto& k : kids)
      for (auto& p : tree(path + "/" + k)) out.push_back(p);
    return out;
  }
  std::string raw(const std::string& path) {
    ZkNode n;
    EXPECT_EQ(zk_->get(path, &n), ZOK) << path;
    return n.data;
  }

  static test::ZkServer* server_;
  ZkOptions opts_;
  SecretBox box_{test_key(1)};
  std::unique_ptr<ZkClient> zk_;
  std::unique_ptr<PoolStore> store_;
};
test::ZkServer* StoreTest::server_ = nullptr;

TEST_F(StoreTest, CreateUpdateCompareAndSetHistoryRollback) {
  auto r = store_->create("web", pool_config(0), "alice");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.current_version, 1);
  EXPECT_EQ(store_->create("web", pool_config(9), "bob").code, StoreResult::kAlreadyExists);

  r = store_->update("web", pool_config(1), 1, "alice");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.current_version, 2);
  r = store_->update("web", pool_config(99), 1, "bob");  // stale expectation
  EXPECT_EQ(r.code, StoreResult::kConflict);
  EXPECT_EQ(r.current_version, 2);
  EXPECT_EQ(store_->update("nope", pool_config(), 0, "bob").code, StoreResult::kNotFound);

  PoolRecord rec;
  ASSERT_TRUE(store_->get("web", &rec).ok());
  EXPECT_EQ(rec.version, 2);
  EXPECT_EQ(counter_of(rec.config), 1);
  EXPECT_EQ(rec.updated_by, "alice");

  // Directly in ZooKeeper: the pool node and one history entry per version.
  const std::string base = store_->pool_path("web");
  EXPECT_EQ(PoolRecord::from_json(raw(base))->version, 2);
  EXPECT_EQ(PoolRecord::from_json(raw(base + "/history/0000000001"))->config, pool_config(0));
  EXPECT_EQ(PoolRecord::from_json(raw(base + "/history/0000000002"))->config, pool_config(1));

  r = store_->rollback("web", 1, 2, "carol");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.current_version, 3);
  ASSERT_TRUE(store_->get("web", &rec).ok());
  EXPECT_EQ(rec.config, pool_config(0));
  EXPECT_EQ(rec.rolled_back_from, 1);
  EXPECT_EQ(store_->rollback("web", 2, 2, "carol").code, StoreResult::kConflict);

  // Only the last 4 versions are kept.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->update("web", pool_config(10 + i), 0, "alice").ok());
  std::vector<PoolRecord> hist;
  ASSERT_TRUE(store_->history("web", &hist).ok());
  ASSERT_EQ(hist.size(), 4u);
  EXPECT_EQ(hist.front().version, 7);
  EXPECT_EQ(hist.back().version, 4);
  r = store_->rollback("web", 1, 0, "carol");
  EXPECT_EQ(r.code, StoreResult::kNotFound);
  EXPECT_NE(r.message.find("kept: 4..7"), std::string::npos) << r.message;
}

TEST_F(StoreTest, DeleteRemovesTheWholeSubtreeIncludingInstances) {
  ASSERT_TRUE(store_->create("web", pool_config(), "alice").ok());
  ASSERT_TRUE(store_->update("web", pool_config(1), 0, "alice").ok());
  ASSERT_TRUE(store_->put_template("web", "global\n  maxconn 1000\n", "admin").ok());
  // A running instance registers itself (as an agent will), from another session.
  ZkClient agent(opts_);
  ASSERT_TRUE(agent.wait_connected(10s));
  const std::string inst = store_->pool_path("web") + "/instances/node-1";
  ASSERT_EQ(agent.create_ephemeral(inst, R"({"host":"node-1","appliedVersion":2,"healthy":true})"), ZOK);
  std::vector<InstanceRegistration> regs;
  ASSERT_TRUE(store_->instances("web", &regs).ok());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].data["appliedVersion"], 2);

  EXPECT_EQ(store_->remove("web", 1, "alice").code, StoreResult::kConflict);
  ASSERT_TRUE(store_->remove("web", 2, "alice").ok());
  EXPECT_EQ(tree(store_->pool_path("web")), std::vector<std::string>{});
  EXPECT_EQ(store_->remove("web", 0, "alice").code, StoreResult::kNotFound);
  agent.forget_ephemeral(inst);
}

TEST_F(StoreTest, ConcurrentUpdatesAreResolvedByCompareAndSet) {
  ASSERT_TRUE(store_->create("web", pool_config(0), "init").ok());
  constexpr int kThreads = 6, kIncrements = 15;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int done = 0; done < kIncrements;) {
        PoolRecord cur;
        ASSERT_TRUE(store_->get("web", &cur).ok());
        auto r = store_->update("web", pool_config(counter_of(cur.config) + 1), cur.version, "t" + std::to_string(t));
        if (r.ok())
          done++;
        else if (r.code == StoreResult::kConflict)
          conflicts++;
        else
          FAIL() << r.message;
      }
    });
  for (auto& t : threads) t.join();
  PoolRecord rec;
  ASSERT_TRUE(store_->get("web", &rec).ok());
  // No lost update: every increment landed exactly once.
  EXPECT_EQ(counter_of(rec.config), kThreads * kIncrements);
  EXPECT_EQ(rec.version, 1 + kThreads * kIncrements);
  EXPECT_GT(conflicts.load(), 0) << "the threads never raced; the test proves nothing";
}

TEST_F(StoreTest, SecretsAreEncryptedAtRestAndCheckedByPools) {
  const std::string pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
  ASSERT_TRUE(store_->put_secret("web-tls", pem, "admin").ok());
  std::string at_rest = raw(store_->secret_path("web-tls"));
  EXPECT_EQ(at_rest.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(at_rest.substr(0, 4), "EGB1");
  EXPECT_EQ(store_->read_secret("web-tls"), pem);
  // Another key, or the blob moved to another znode: it does not open.
  SecretBox other(test_key(2));
  EXPECT_FALSE(other.open(at_rest, store_->secret_path("web-tls")));
  EXPECT_FALSE(box_.open(at_rest, store_->secret_path("other")));
  std::vector<SecretInfo> secrets;
  ASSERT_TRUE(store_->list_secrets(&secrets).ok());
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0].bytes, pem.size());

  json cfg = pool_config();
  cfg["secrets"] =
      json::array({{{"secret", "web-tls"}, {"file", "web.pem"}}, {{"secret", "missing"}, {"file", "m.pem"}}});
  auto r = store_->create("web", cfg, "alice");
  EXPECT_EQ(r.code, StoreResult::kInvalid);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "secrets[1].secret");
  EXPECT_EQ(tree(store_->pool_path("web")), std::vector<std::string>{}) << "nothing half-stored";
  cfg["secrets"].erase(1);
  ASSERT_TRUE(store_->create("web", cfg, "alice").ok());
  r = store_->delete_secret("web-tls", "admin");
  EXPECT_EQ(r.code, StoreResult::kFailedPrecondition);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "pool web: secrets[0].secret");
  ASSERT_TRUE(store_->remove("web", 0, "alice").ok());
  EXPECT_TRUE(store_->delete_secret("web-tls", "admin").ok());
  EXPECT_FALSE(store_->secret_exists("web-tls"));
}

TEST_F(StoreTest, AutoCertificateIsGeneratedAndItsKeySealed) {
  json cfg = pool_config();
  cfg["autoCertificate"] = true;
  ASSERT_TRUE(store_->create("tls", cfg, "alice").ok());
  const std::string path = store_->pool_path("tls") + "/secrets/autocert";
  json blob = json::parse(raw(path));
  EXPECT_EQ(blob.dump().find("PRIVATE KEY"), std::string::npos);
  std::string sealed(blob["key"].get<std::string>().size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(sealed.data()),
                          reinterpret_cast<const unsigned char*>(blob["key"].get<std::string>().data()),
                          static_cast<int>(blob["key"].get<std::string>().size()));
  sealed.resize(n);
  while (!sealed.empty() && sealed.back() == '\0') sealed.pop_back();  // base64 padding
  auto key_pem = box_.open(sealed, path);
  ASSERT_TRUE(key_pem);
  // The key belongs to the certificate, which names the pool and lasts ~10 years.
  BIO* kb = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  std::string cert_pem = blob["cert"];
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  ASSERT_TRUE(key && cert);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_EQ(X509_check_host(cert, "tls.edgelb", 0, 0, nullptr), 1);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)), 1);
  EXPECT_GT(days, 3600);
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(kb);
  BIO_free(cb);
  // Updates keep the same certificate.
  ASSERT_TRUE(store_->update("tls", cfg, 0, "alice").ok());
  EXPECT_EQ(json::parse(raw(path))["cert"], cert_pem);

  // Without a secret key the apiserver refuses autoCertificate instead of storing a plain key.
  PoolStore keyless(*zk_, store_->options(), nullptr);
  EXPECT_EQ(keyless.create("tls2", cfg, "alice").code, StoreResult::kFailedPrecondition);
}

TEST_F(StoreTest, OversizedConfigIsRefusedWithAClearMessage) {
  json cfg = pool_config();
  cfg["environmentVariables"]["BIG"] = std::string(600 * 1024, 'x');
  auto r = store_->create("big", cfg, "alice");
  EXPECT_EQ(r.code, StoreResult::kInvalid);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].reason.find("over the limit of 491520 bytes"), std::string::npos) << r.errors[0].reason;
  EXPECT_EQ(zk_->exists(store_->pool_path("big")), ZNONODE);
}

TEST_F(StoreTest, DigestAclsKeepOtherClientsOut) {
  ZkOptions secured = opts_;
  secured.digest = "edgelb:s3cret";
  ZkClient zk(secured);
  ASSERT_TRUE(zk.wait_connected(10s));
  StoreOptions so;
  so.root = "/acl-root";
  PoolStore store(zk, so, &box_);
  store.init();
  ASSERT_TRUE(store.create("web", pool_config(), "alice").ok());
  ZkNode n;
  EXPECT_EQ(zk_->get("/acl-root/pools/web", &n), ZNOAUTH);  // no credentials
  ZkOptions wrong = opts_;
  wrong.digest = "edgelb:wrong";
  ZkClient intruder(wrong);
  ASSERT_TRUE(intruder.wait_connected(10s));
  EXPECT_EQ(intruder.get("/acl-root/pools/web", &n), ZNOAUTH);
  EXPECT_EQ(intruder.set("/acl-root/pools/web", "x", -1), ZNOAUTH);
  EXPECT_EQ(zk.get("/acl-root/pools/web", &n), ZOK);
  ASSERT_TRUE(store.remove("web", 0, "alice").ok());
}

TEST_F(StoreTest, SessionExpiryReopensRearmsWatchesAndRecreatesEphemerals) {
  ASSERT_TRUE(store_->create("web", pool_config(0), "alice").ok());
  const std::string inst = store_->pool_path("web") + "/instances/self";
  ASSERT_EQ(zk_->create_ephemeral(inst, "{}"), ZOK);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> seen;
  zk_->watch_data(store_->pool_path("web"), [&](const std::optional<ZkNode>& n) {
    std::lock_guard l(mu);
    if (n) seen.push_back(static_cast<int>(PoolRecord::from_json(n->data)->version));
    cv.notify_all();
  });
  auto wait_for = [&](int version) {
    std::unique_lock l(mu);
    return cv.wait_for(l, 15s, [&] { return std::find(seen.begin(), seen.end(), version) != seen.end(); });
  };
  ASSERT_TRUE(wait_for(1));
  const int64_t old_session = zk_->session_id();
  const uint64_t opened = zk_->sessions_opened();
  server_->expire_session(zk_->client_id());
  // Writes during the expiry wait for the new session and land once.
  auto r = store_->update("web", pool_config(1), 1, "alice");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.current_version, 2);
  ASSERT_TRUE(wait_for(2)) << "the data watch was not re-armed on the new session";
  EXPECT_GT(zk_->sessions_opened(), opened);
  EXPECT_NE(zk_->session_id(), old_session);
  // The ephemeral registration belongs to the new session.
  for (int i = 0; i < 100; ++i) {
    ZkStat st;
    if (zk_->exists(inst, &st) == ZOK && st.ephemeral_owner == zk_->session_id()) break;
    std::this_thread::sleep_for(50ms);
  }
  ZkStat st;
  ASSERT_EQ(zk_->exists(inst, &st), ZOK);
  EXPECT_EQ(st.ephemeral_owner, zk_->session_id());
  ASSERT_TRUE(store_->update("web", pool_config(2), 2, "alice").ok());
  ASSERT_TRUE(wait_for(3)) << "the watch fired once and was not re-armed";
  zk_->forget_ephemeral(inst);
}

// A watch whose first read falls into an outage longer than a call may wait is armed once the
// same session is back, not lost until some later session.
TEST_F(StoreTest, WatchSetDuringAnOutageIsArmedOnReconnect) {
  const std::string path = store_->options().root + "/probe";
  ASSERT_EQ(zk_->create(path, "1"), ZOK);
  ZkOptions short_calls = opts_;
  short_calls.operation_timeout = 300ms;
  short_calls.session_timeout = 10000ms;
  ZkClient zk(short_calls);
  ASSERT_TRUE(zk.wait_connected(10s));
  const int64_t session = zk.session_id();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  server_->stop();
  zk.watch_data(path, [&](const std::optional<ZkNode>& n) {
    std::lock_guard l(mu);
    if (n) seen.push_back(n->data);
    cv.notify_all();
  });
  std::this_thread::sleep_for(1000ms);  // the first read gives up after 300 ms
  server_->start();
  auto saw = [&](const std::string& value) {
    std::unique_lock l(mu);
    return cv.wait_for(l, 15s, [&] { return std::find(seen.begin(), seen.end(), value) != seen.end(); });
  };
  ASSERT_TRUE(saw("1")) << "the watch was not read again on reconnect";
  EXPECT_EQ(zk.session_id(), session);  // the same session: not the new-session path
  ASSERT_EQ(zk_->set(path, "2", -1), ZOK);
  EXPECT_TRUE(saw("2")) << "the watch was not armed";
}

// A watch read that runs after the session expired but before the maintenance thread has
// opened the next one gives up at once: that thread is the one that opens it, so waiting for a
// connection there would hold every watch and ephemeral back for the whole operation timeout.
TEST_F(StoreTest, ExpiryDuringAWatchReadDoesNotStallTheNextSession) {
  const std::string first = store_->options().root + "/first", second = store_->options().root + "/second";
  ASSERT_EQ(zk_->create(first, "1"), ZOK);
  ASSERT_EQ(zk_->create(second, "2"), ZOK);
  ZkOptions patient = opts_;
  patient.operation_timeout = 60000ms;
  ZkClient zk(patient);
  ASSERT_TRUE(zk.wait_connected(10s));
  const uint64_t sessions = zk.sessions_opened();

  struct Seen {
    std::mutex mu;
    std::condition_variable cv;
    bool holding = false, release = false;
    std::vector<std::string> second;
    void let_go() {
      std::lock_guard l(mu);
      release = true;
      cv.notify_all();
    }
  };
  auto seen = std::make_shared<Seen>();
  // Lets the maintenance thread go also when an assertion ends the test early: ~ZkClient joins it.
  struct LetGoOnExit {
    Seen& seen;
    ~LetGoOnExit() { seen.let_go(); }
  } let_go_on_exit{*seen};
  // Holds the maintenance thread in its first callback until the session is gone.
  zk.watch_data(first, [seen](const std::optional<ZkNode>&) {
    std::unique_lock l(seen->mu);
    seen->holding = true;
    seen->cv.notify_all();
    seen->cv.wait(l, [&] { return seen->release; });
  });
  {
    std::unique_lock l(seen->mu);
    ASSERT_TRUE(seen->cv.wait_for(l, 10s, [&] { return seen->holding; }));
  }
  // Queued behind it: its first read runs on the expired session.
  zk.watch_data(second, [seen](const std::optional<ZkNode>& n) {
    std::lock_guard l(seen->mu);
    if (n) seen->second.push_back(n->data);
    seen->cv.notify_all();
  });
  server_->expire_session(zk.client_id());
  for (int i = 0; i < 500 && zk.connected(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(zk.connected());
  seen->let_go();
  ASSERT_TRUE(zk.wait_connected(20s)) << "the new session waited for a read on the old one";
  EXPECT_GT(zk.sessions_opened(), sessions);
  std::unique_lock l(seen->mu);
  EXPECT_TRUE(seen->cv.wait_for(l, 20s, [&] { return !seen->second.empty(); }))
      << "the watch was not read on the new session";
}

// ListPools' summary cache: the same answer as reading ZooKeeper, this store's own writes at
// once, another writer's changes through the watches, and a rebuild after the session expires
// or ZooKeeper restarts.
TEST_F(StoreTest, SummaryCacheAnswersLikeZooKeeperAndFollowsOtherWriters) {
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(store_->create(n, pool_config(0), "alice").ok());
  // A second client with its own store (no cache): the reference answer and another writer.
  ZkClient other_zk(opts_);
  ASSERT_TRUE(other_zk.wait_connected(10s));
  PoolStore other(other_zk, store_->options(), &box_);
  auto reference = [&] {
    std::vector<PoolSummary> v;
    EXPECT_TRUE(other.list(&v).ok());
    return v;
  };
  store_->start_summary_cache();
  const PoolSummaryCache& cache = *store_->summary_cache();
  auto cached = [&] {
    std::vector<PoolSummary> v;
    return cache.list(&v) ? std::optional(v) : std::nullopt;
  };
  // Waits until the cache answers and agrees with ZooKeeper.
  auto converges = [&] {
    for (int i = 0; i < 300; ++i) {
      if (auto v = cached(); v && *v == reference()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(converges());
  ASSERT_EQ(cached()->size(), 3u);

  // This store's writes are listed by its very next call.
  ASSERT_TRUE(store_->create("d", pool_config(0), "bob").ok());
  ASSERT_TRUE(store_->update("a", pool_config(1), 1, "bob").ok());
  std::vector<PoolSummary> now;
  ASSERT_TRUE(store_->list(&now).ok());
  ASSERT_EQ(now.size(), 4u);
  EXPECT_EQ(now[0].version, 2);
  EXPECT_EQ(now[0].updated_by, "bob");
  ASSERT_TRUE(store_->remove("d", 0, "bob").ok());
  ASSERT_TRUE(store_->list(&now).ok());
  EXPECT_EQ(now.size(), 3u);

  // Another writer: create, update, delete, an instance registering.
  ASSERT_TRUE(other.create("e", pool_config(0), "carol").ok());
  ASSERT_TRUE(other.update("b", pool_config(5), 1, "carol").ok());
  ASSERT_TRUE(other.remove("c", 0, "carol").ok());
  ASSERT_EQ(other_zk.create_ephemeral(other.pool_path("a") + "/instances/node-1", "{}"), ZOK);
  ASSERT_TRUE(converges());
  EXPECT_EQ(cached()->size(), 3u);
  EXPECT_EQ((*cached())[0].instances, 1u);
  EXPECT_EQ((*cached())[1].updated_by, "carol");

  // Session expiry: rebuilt from scratch, and meanwhile answers still come from ZooKeeper.
  const uint64_t rebuilds = cache.rebuilds();
  server_->expire_session(zk_->client_id());
  ASSERT_TRUE(other.update("e", pool_config(1), 1, "carol").ok());
  ASSERT_TRUE(converges());
  EXPECT_GT(cache.rebuilds(), rebuilds);
  ASSERT_TRUE(store_->list(&now).ok());
  EXPECT_EQ(now, reference());

  // ZooKeeper restarts: the same.
  const uint64_t before_restart = cache.rebuilds();
  server_->stop();
  std::this_thread::sleep_for(500ms);
  server_->start();
  ASSERT_TRUE(zk_->wait_connected(15s));
  ASSERT_TRUE(other.update("b", pool_config(6), 2, "dave").ok());
  ASSERT_TRUE(converges());
  EXPECT_GT(cache.rebuilds(), before_restart);
  EXPECT_EQ((*cached())[1].updated_by, "dave");
  other_zk.forget_ephemeral(other.pool_path("a") + "/instances/node-1");
}

// After the session expires, the new session's first round of reads answers the cache's
// watches before the cache hears that it is connected again and rebuilds. In between it must
// not answer: what it holds may be older than what another writer stored meanwhile. A watch of
// this test on the same path, registered after the cache's, runs in that gap every time.
TEST_F(StoreTest, SummaryCacheAnswersNothingBetweenAnExpiryAndItsRebuild) {
  for (const char* n : {"a", "b"}) ASSERT_TRUE(store_->create(n, pool_config(0), "alice").ok());
  store_->start_summary_cache();
  const PoolSummaryCache& cache = *store_->summary_cache();
  std::vector<PoolSummary> v;
  for (int i = 0; i < 300 && !cache.list(&v); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(v.size(), 2u);
  const uint64_t rebuilds = cache.rebuilds();

  // Shared with the callbacks, which may outlive this test's scope on the maintenance thread.
  // A gap runs from a disconnection to the next connection listener call (the cache's runs
  // first and rebuilds). Expiring the session from another handle may first cost a plain
  // reconnect of the same session, so gaps are told apart by the rebuild count at their start.
  struct Gap {
    std::mutex mu;
    std::condition_variable cv;
    bool down = false, done = false, closed = false;
    uint64_t rebuilds_at_down = 0;
    int seen = 0, answered = 0;
  };
  auto gap = std::make_shared<Gap>();
  zk_->on_connection_change([gap, &cache](bool up) {  // runs after the cache's own listener
    std::lock_guard l(gap->mu);
    if (gap->done) return;
    gap->down = !up;
    if (!up) gap->rebuilds_at_down = cache.rebuilds();
    if (up && gap->seen) gap->closed = true;
    gap->cv.notify_all();
  });
  const int id = zk_->watch_children(store_->options().root + "/pools", [gap, &cache](const auto&) {
    std::lock_guard l(gap->mu);
    if (gap->done || !gap->down || cache.rebuilds() != gap->rebuilds_at_down) return;
    ++gap->seen;
    std::vector<PoolSummary> answer;
    if (cache.list(&answer)) ++gap->answered;
  });
  server_->expire_session(zk_->client_id());
  std::unique_lock l(gap->mu);
  gap->cv.wait_for(l, 15s, [&] { return gap->closed; });
  zk_->unwatch(id);
  gap->done = true;  // a callback already under way has finished; none touches `cache` again
  EXPECT_GT(cache.rebuilds(), rebuilds);
  ASSERT_TRUE(gap->closed) << "no watch read of the new session ran before the rebuild (seen " << gap->seen << ")";
  EXPECT_EQ(gap->answered, 0) << "the cache answered before it was rebuilt";
}

// ZooKeeper dies (SIGKILL) and comes back while writers are busy: every call that reported
// success is in ZooKeeper exactly once, nothing is half-written, and history matches.
TEST_F(StoreTest, ZooKeeperRestartMidOperationsLeavesNoPartialWrites) {
  constexpr int kPools = 4;
  for (int p = 0; p < kPools; ++p) ASSERT_TRUE(store_->create("p" + std::to_string(p), pool_config(0), "init").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> ok_calls[kPools];
  std::atomic<int> failed_calls{0};
  for (auto& c : ok_calls) c = 0;
  std::vector<std::thread> writers;
  for (int p = 0; p < kPools; ++p)
    writers.emplace_back([&, p] {
      const std::string name = "p" + std::to_string(p);
      int next = 1;
      while (!stop) {
        // Compare-and-set on what this writer last saw: a double apply would be a conflict or
        // a skipped counter value.
        auto r = store_->update(name, pool_config(next), next, "w");
        if (r.ok()) {
          ok_calls[p]++;
          next++;
        } else {
          failed_calls++;
          ADD_FAILURE() << name << ": " << r.message << " (version " << r.current_version << ")";
          return;
        }
      }
    });
  std::this_thread::sleep_for(700ms);
  server_->stop();
  std::this_thread::sleep_for(1500ms);
  server_->start();
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed_calls.load(), 0);
  for (int p = 0; p < kPools; ++p) {
    const std::string base = store_->pool_path("p" + std::to_string(p));
    auto rec = PoolRecord::from_json(raw(base));
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->version, 1 + ok_calls[p].load()) << base;
    EXPECT_EQ(counter_of(rec->config), ok_calls[p].load()) << base;
    // The history holds exactly the last 4 versions, each identical to what was written.
    std::vector<std::string> hist;
    ASSERT_EQ(zk_->children(base + "/history", &hist), ZOK);
    EXPECT_EQ(hist.size(), std::min<size_t>(4, rec->version));
    for (const auto& h : hist) {
      auto hr = PoolRecord::from_json(raw(base + "/history/" + h));
      ASSERT_TRUE(hr);
      EXPECT_EQ(hr->version, std::stoll(h));
      EXPECT_EQ(counter_of(hr->config), hr->version - 1);
      EXPECT_GT(hr->version + 4, rec->version);
    }
  }
  EXPECT_GT(ok_calls[0].load(), 0);
}

}  // namespace
}  // namespace edgelb::cp
