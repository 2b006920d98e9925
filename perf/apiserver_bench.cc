// edgelb-apiserver-bench: drives edgelb-apiserver over gRPC (mutual TLS) and reports, as one
// JSON object: create and update latency p50/p99 (sequential calls), update and create
// throughput with concurrent clients, and ListPools latency with N pools stored.
// Run by perf/apiserver_bench.py against a real ZooKeeper (perf/bench.sh apiserver).
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/proto/edgelb.grpc.pb.h"
#include "common/read_file.h"

namespace {

namespace pb = edgelb::v1;
using Clock = std::chrono::steady_clock;

// A realistic pool: three frontends, three backends, a fastPath VIP (~1.5 KB of JSON).
std::string pool_config(const std::string& name, int counter) {
  nlohmann::json c = nlohmann::json::parse(R"({"apiVersion":"V2","count":2,"haproxy":{"stats":{"bindPort":0},
    "frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"web",
       "map":[{"pathBeg":"/api","backend":"api"},{"hostReg":"^static\\.","backend":"static"}]}},
     {"bindPort":8080,"protocol":"HTTP","linkBackend":{"defaultBackend":"api"}},
     {"bindPort":9092,"protocol":"TCP","linkBackend":{"defaultBackend":"kafka"}}],
    "backends":[{"name":"web","protocol":"HTTP","services":[{"marathon":{"serviceID":"/web"},"endpoint":{"portName":"http"}}]},
     {"name":"api","protocol":"HTTP","rewriteHttp":{"path":{"fromPath":"/api","toPath":"/"}},
      "services":[{"marathon":{"serviceID":"/api"},"endpoint":{"portName":"http","miscStr":"weight 20"}}]},
     {"name":"static","protocol":"HTTP","services":[{"mesos":{"frameworkName":"marathon","taskNamePattern":"^static-.*"},"endpoint":{"port":8000}}]},
     {"name":"kafka","protocol":"TCP","services":[{"mesos":{"frameworkName":"kafka","taskNamePattern":"^broker-.*"},"endpoint":{"port":9092}}]}]},
    "fastPath":{"vips":[{"address":"198.18.0.10","port":443,"forwarding":"NAT","backend":"web"}]}})");
  c["name"] = name;
  c["environmentVariables"] = {{"REVISION", std::to_string(counter)}};
  return c.dump();
}

struct Stats {
  std::vector<double> ms;
  nlohmann::json summary() {
    std::sort(ms.begin(), ms.end());
    auto q = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
    return {{"samples", ms.size()}, {"p50_ms", q(0.50)}, {"p99_ms", q(0.99)}, {"max_ms", ms.empty() ? 0 : ms.back()}};
  }
};

// A failed call ends the benchmark: its numbers would mean nothing.
bool must(const grpc::Status& s) {
  if (!s.ok()) {
    std::cerr << "apiserver-bench: " << s.error_message() << "\n";
    std::exit(1);
  }
  return true;
}

// `clients` threads, each with its own stub, call `once(client, call index, stub)` until it
// returns false (no work left) or `limit` passes. Reports the calls' latencies and calls/s.
nlohmann::json concurrent(const std::shared_ptr<grpc::Channel>& channel, int clients, std::chrono::seconds limit,
                          const std::function<bool(int, int, pb::EdgeLB::Stub&)>& once) {
  std::vector<Stats> per(clients);
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  const auto deadline = t0 + limit;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      auto stub = pb::EdgeLB::NewStub(channel);
      for (int i = 0; Clock::now() < deadline; ++i) {
        const auto a = Clock::now();
        if (!once(t, i, *stub)) break;
        per[t].ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      }
    });
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  Stats all;
  for (auto& p : per) all.ms.insert(all.ms.end(), p.ms.begin(), p.ms.end());
  auto s = all.summary();
  s["clients"] = clients;
  s["per_second"] = all.ms.empty() ? 0 : all.ms.size() / elapsed;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgelb-apiserver-bench"};
  std::string server, certs;
  int samples = 300, concurrency = 8, seconds = 5, list_pools = 1000, list_calls = 20;
  app.add_option("--server", server)->required();
  app.add_option("--certs-dir", certs)->required();
  app.add_option("--samples", samples);
  app.add_option("--concurrency", concurrency);
  app.add_option("--seconds", seconds);
  app.add_option("--list-pools", list_pools);
  app.add_option("--list-calls", list_calls);
  CLI11_PARSE(app, argc, argv);

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = edgelb::cp::read_file(certs + "/ca.crt");
  ssl.pem_cert_chain = edgelb::cp::read_file(certs + "/operator.crt");
  ssl.pem_private_key = edgelb::cp::read_file(certs + "/operator.key");
  auto channel = grpc::CreateChannel(server, grpc::SslCredentials(ssl));
  auto stub = pb::EdgeLB::NewStub(channel);
  auto call = [&](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto t0 = Clock::now();
    must((stub.get()->*method)(&ctx, req, resp));
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  nlohmann::json out;
  out["config_bytes"] = pool_config("bench-0000", 0).size();

  // 1. Sequential creates.
  Stats create;
  for (int i = 0; i < samples; ++i) {
    pb::PoolWriteRequest req;
    char name[32];
    std::snprintf(name, sizeof name, "seq-%04d", i);
    req.set_config(pool_config(name, 0));
    pb::PoolWriteReply r;
    create.ms.push_back(call(&pb::EdgeLB::Stub::CreatePool, req, &r));
  }
  out["create_sequential"] = create.summary();

  // 2. Sequential compare-and-set updates of one pool.
  Stats update;
  for (int i = 1; i <= samples; ++i) {
    pb::PoolWriteRequest req;
    req.set_config(pool_config("seq-0000", i));
    req.set_expected_version(i);
    pb::PoolWriteReply r;
    update.ms.push_back(call(&pb::EdgeLB::Stub::UpdatePool, req, &r));
  }
  out["update_sequential"] = update.summary();

  // 3. Concurrent updates, one pool per client, for `seconds`.
  out["update_concurrent"] =
      concurrent(channel, concurrency, std::chrono::seconds(seconds), [](int t, int i, pb::EdgeLB::Stub& stub) {
        char name[32];
        std::snprintf(name, sizeof name, "seq-%04d", t + 1);
        pb::PoolWriteRequest req;
        req.set_config(pool_config(name, i + 1));
        pb::PoolWriteReply r;
        grpc::ClientContext ctx;
        return must(stub.UpdatePool(&ctx, req, &r));
      });

  // 4. Concurrent creates up to `list_pools` pools in all.
  std::atomic<int> next{samples};
  out["create_concurrent"] =
      concurrent(channel, concurrency, std::chrono::hours(1), [&](int, int, pb::EdgeLB::Stub& stub) {
        int i = next++;
        if (i >= list_pools) return false;
        char name[32];
        std::snprintf(name, sizeof name, "bulk-%04d", i);
        pb::PoolWriteRequest req;
        req.set_config(pool_config(name, 0));
        pb::PoolWriteReply r;
        grpc::ClientContext ctx;
        return must(stub.CreatePool(&ctx, req, &r));
      });

  // 5. ListPools with `list_pools` pools stored.
  Stats list;
  size_t listed = 0, bytes = 0;
  for (int i = 0; i < list_calls; ++i) {
    pb::ListPoolsReply r;
    list.ms.push_back(call(&pb::EdgeLB::Stub::ListPools, pb::ListPoolsRequest(), &r));
    listed = r.pools_size();
    bytes = r.ByteSizeLong();
  }
  auto ls = list.summary();
  ls["pools"] = listed;
  ls["reply_bytes"] = bytes;
  out["list"] = ls;
  std::cout << out.dump() << "\n";
  return 0;
}
