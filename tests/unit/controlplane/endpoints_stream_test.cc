// edgelb.v1.MesosListener.WatchEndpoints against a real ZooKeeper (the stored pools) and a
// model fed Mesos events: a subscriber gets its pool version's endpoints on subscribing, again
// only when what that pool selects changes, a version the store does not show yet once it is
// stored, an error for a pool that does not exist, and nothing more after unsubscribing. The
// client is the agent's own (EndpointsWatch), so both ends of the one-way path are real.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "agent/endpoints_watch.h"
#include "api/auth.h"
#include "api/mesos_service.h"
#include "eventually.h"
#include "mesos_test_support.h"
#include "store/pool_store.h"
#include "zk/zk_client.h"
#include "zk_server.h"

namespace edgelb::cp {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace mt = mesos::testing;

json pool(const std::string& name, const std::string& task_pattern) {
  return json::parse(R"({"apiVersion":"V2","name":")" + name + R"(","haproxy":{
    "frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"web"}}],
    "backends":[{"name":"web","protocol":"HTTP","services":[
      {"mesos":{"frameworkName":"marathon","taskNamePattern":")" +
                     task_pattern + R"("},"endpoint":{"portName":"http"}}]}]}})");
}

std::string task(const std::string& id, const std::string& name, int port) {
  return mt::task_added("fw-1", id, name, json::array({{{"number", port}, {"name", "http"}, {"protocol", "tcp"}}}));
}

struct StreamTest : ::testing::Test {
  test::ZkServer zk_server;
  std::unique_ptr<ZkClient> zk;
  std::unique_ptr<PoolStore> store;
  mt::Fed fed;
  Authorizer auth{"", Role::kViewer};
  std::unique_ptr<MesosListenerService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<EndpointsWatch> watch;
  std::atomic<int> pushes{0};

  void SetUp() override {
    ZkOptions zo;
    zo.hosts = zk_server.hosts();
    zk = std::make_unique<ZkClient>(zo);
    ASSERT_TRUE(zk->wait_connected(10s));
    StoreOptions so;
    so.root = "/stream";
    store = std::make_unique<PoolStore>(*zk, so, nullptr);
    store->init();
    ASSERT_EQ(fed.feed(mt::framed({mt::kEmptySubscribed, mt::framework_added("fw-1", "marathon"),
                                   mt::agent_added("a1", "198.18.0.1"), task("t1", "web-1", 31001),
                                   task("t2", "api-1", 32001)})),
              mesos::EventStream::Result::kOk);
    service = std::make_unique<MesosListenerService>(fed.model, nullptr, store.get(), auth, "test");
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(service.get());
    server = b.BuildAndStart();
    ApiConnection api;
    api.server = "127.0.0.1:" + std::to_string(port);
    api.insecure = true;
    watch = std::make_unique<EndpointsWatch>(api, [this] { pushes++; });
  }
  void TearDown() override {
    watch.reset();
    service->shutdown();
    server->Shutdown(std::chrono::system_clock::now() + 2s);
  }
  // The endpoints of `pool` at `version` as "address:port" (ready or not), once pushed.
  std::optional<std::vector<std::string>> endpoints(const std::string& name, int64_t version,
                                                    std::string* error = nullptr) {
    auto e = watch->latest(name, version, error);
    if (!e) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& [path, eps] : e->backends)
      for (const auto& ep : eps) out.push_back(ep.address + ":" + std::to_string(ep.port));
    return out;
  }
};

TEST_F(StreamTest, PushesOnSubscribeOnChangeAndForTheVersionAsked) {
  ASSERT_TRUE(store->create("web", pool("web", "^web-"), "test").ok());
  watch->subscribe("web", 1);
  ASSERT_TRUE(test::eventually([&] { return endpoints("web", 1).has_value(); }));
  EXPECT_EQ(*endpoints("web", 1), (std::vector<std::string>{"198.18.0.1:31001"}));
  EXPECT_TRUE(watch->connected());

  // A task another pool would select: nothing new for this one.
  const int before = pushes;
  ASSERT_EQ(fed.feed(mt::framed({task("t3", "api-2", 32002)})), mesos::EventStream::Result::kOk);
  std::this_thread::sleep_for(200ms);  // the listener evaluates that revision on its own
  // One it selects: pushed.
  ASSERT_EQ(fed.feed(mt::framed({task("t4", "web-2", 31002)})), mesos::EventStream::Result::kOk);
  ASSERT_TRUE(test::eventually([&] { return endpoints("web", 1)->size() == 2; }));
  EXPECT_EQ(pushes - before, 1) << "the unrelated task was pushed too";

  // Version 2 selects other tasks; subscribed before it is stored, pushed once it is.
  watch->subscribe("web", 2);
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(endpoints("web", 2).has_value());
  PoolRecord rec;
  ASSERT_TRUE(store->get("web", &rec).ok());
  ASSERT_TRUE(store->update("web", pool("web", "^api-"), rec.version, "test").ok());
  ASSERT_TRUE(test::eventually([&] { return endpoints("web", 2).has_value(); }));
  auto v2 = *endpoints("web", 2);
  std::sort(v2.begin(), v2.end());
  EXPECT_EQ(v2, (std::vector<std::string>{"198.18.0.1:32001", "198.18.0.1:32002"}));
  EXPECT_FALSE(endpoints("web", 1).has_value());  // only the version asked for is kept

  // Unsubscribed: no more pushes for it.
  watch->unsubscribe("web");
  EXPECT_FALSE(endpoints("web", 2).has_value());
  const int after = pushes;
  ASSERT_EQ(fed.feed(mt::framed({task("t5", "api-3", 32003)})), mesos::EventStream::Result::kOk);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(pushes, after);
}

TEST_F(StreamTest, APoolThatDoesNotExistIsAnErrorAndOthersAreServed) {
  ASSERT_TRUE(store->create("web", pool("web", "^web-"), "test").ok());
  watch->subscribe("gone", 3);
  watch->subscribe("web", 1);
  ASSERT_TRUE(test::eventually([&] { return endpoints("web", 1).has_value(); }));
  std::string error;
  ASSERT_TRUE(test::eventually([&] {
    endpoints("gone", 3, &error);
    return !error.empty();
  }));
  EXPECT_NE(error.find("gone"), std::string::npos) << error;
}

}  // namespace
}  // namespace edgelb::cp
