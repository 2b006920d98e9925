// edgelb-control-bench: streams control updates into a running edgelb-dataplane through its
// control socket and measures apply-to-live latency (the RPC returns once the new table is
// published and every worker has passed a quiescent state, i.e. it is live everywhere).
//
//   edgelb-control-bench --socket PATH [--rate 1000] [--seconds 8] [--services 100]
//                        [--backends 8] [--threads 4] [--batch 1]
//
// First applies a table of --services TCP services on 198.18.1.10 ports 80.. (DSR, --backends
// backends each with fixed MACs, Maglev size 1021), then issues SetBackend weight flips spread
// over all services, paced open-loop to --rate per second in total, or with --rate 0 closed-loop:
// each client thread sends its next update as soon as the previous one is live, which finds
// the highest rate the dataplane sustains. With --batch N > 1 each call is one ApplyChanges of N
// weight flips (one table for all of them); rates and counts are of updates, latency per call.
// Prints one JSON object.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/control_client.h"
#include "control/proto/dataplane_control.grpc.pb.h"

namespace pb = edgelb::dataplane::v1;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App app{"edgelb-control-bench"};
  std::string socket;
  uint32_t rate = 1000, seconds = 8, services = 100, backends = 8, threads = 4, batch = 1;
  app.add_option("--socket", socket)->required();
  app.add_option("--rate", rate, "updates/s in total; 0: closed loop")->check(CLI::Range(0u, 100000u));
  app.add_option("--seconds", seconds)->check(CLI::Range(1u, 60u));
  app.add_option("--services", services)->check(CLI::Range(1u, 1000u));
  app.add_option("--backends", backends)->check(CLI::Range(2u, 64u));
  app.add_option("--threads", threads)->check(CLI::Range(1u, 32u));
  app.add_option("--batch", batch, "updates per call; > 1: ApplyChanges")
      ->check(CLI::Range(1, edgelb::kMaxChangesPerCall));
  CLI11_PARSE(app, argc, argv);

  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  auto stub = pb::DataplaneControl::NewStub(channel);
  pb::ApplyStateRequest init;
  grpc::ClientContext vctx;
  pb::VersionReply ver;
  if (!stub->GetVersion(&vctx, {}, &ver).ok()) {
    std::fprintf(stderr, "edgelb-control-bench: no dataplane on %s\n", socket.c_str());
    return 1;
  }
  init.mutable_state()->set_version(ver.table_version() + 1);
  for (uint32_t s = 0; s < services; ++s) {
    auto* svc = init.mutable_state()->add_services();
    svc->set_name("svc" + std::to_string(s));
    svc->set_vip("198.18.1.10");
    svc->set_port(80 + s);
    svc->set_protocol(pb::TCP);
    svc->set_maglev_table_size(1021);
    for (uint32_t b = 0; b < backends; ++b) {
      auto* be = svc->add_backends();
      be->set_address("198.18.2." + std::to_string(1 + b));
      char mac[32];
      std::snprintf(mac, sizeof mac, "02:00:00:00:02:%02x", 1 + b);
      be->set_mac(mac);
    }
  }
  {
    grpc::ClientContext ctx;
    pb::ChangeReply r;
    auto st = stub->ApplyState(&ctx, init, &r);
    if (!st.ok()) {
      std::fprintf(stderr, "edgelb-control-bench: initial apply: %s\n", st.error_message().c_str());
      return 1;
    }
  }

  std::mutex mu;
  std::vector<double> lat_us;
  std::atomic<uint64_t> failed{0}, issued{0};
  std::string first_error;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::seconds(seconds);
  auto run = [&](uint32_t t) {
    std::vector<double> mine;
    const double period_s = rate ? double(threads) * batch / rate : 0.0;  // per call
    for (uint64_t k = 0;; ++k) {
      const auto due = start + std::chrono::duration_cast<clock_type::duration>(
                                   std::chrono::duration<double>(period_s * double(k) + period_s * t / threads));
      if (due >= end || clock_type::now() >= end) break;
      if (rate) std::this_thread::sleep_until(due);
      const uint64_t first = issued.fetch_add(batch);
      auto flip = [&](uint64_t n, pb::SetBackendRequest* req) {
        req->set_service("svc" + std::to_string(n % services));
        req->set_backend("198.18.2." + std::to_string(1 + (n / services) % backends));
        req->set_weight(1 + (n / (services * backends)) % 2 + 1);
      };
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      pb::ChangeReply r;
      const auto t0 = clock_type::now();
      grpc::Status st;
      if (batch == 1) {
        pb::SetBackendRequest req;
        flip(first, &req);
        st = stub->SetBackend(&ctx, req, &r);
      } else {
        pb::ApplyChangesRequest req;
        for (uint64_t n = first; n < first + batch; ++n) flip(n, req.add_changes()->mutable_set_backend());
        st = stub->ApplyChanges(&ctx, req, &r);
      }
      const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
      if (st.ok()) {
        mine.push_back(us);
      } else if (failed.fetch_add(1) == 0) {
        std::lock_guard lk(mu);
        first_error = std::to_string(int(st.error_code())) + ": " + st.error_message();
      }
    }
    std::lock_guard lk(mu);
    lat_us.insert(lat_us.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) pool.emplace_back(run, t);
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) {
    return lat_us.empty() ? 0.0 : lat_us[std::min(lat_us.size() - 1, size_t(p * lat_us.size()))];
  };
  nlohmann::json out = {
      {"target_rate", rate},
      {"issued", issued.load()},
      {"applied", lat_us.size() * batch},
      {"failed", failed.load() * batch},
      {"first_error", first_error},
      {"achieved_rate", double(lat_us.size() * batch) / secs},
      {"updates_per_call", batch},
      {"calls_per_s", double(lat_us.size()) / secs},
      {"seconds", secs},
      {"services", services},
      {"backends_per_service", backends},
      {"apply_to_live_us",
       {{"p50", pct(0.50)}, {"p90", pct(0.90)}, {"p99", pct(0.99)}, {"max", lat_us.empty() ? 0.0 : lat_us.back()}}}};
  std::printf("%s\n", out.dump().c_str());
  return failed.load() ? 1 : 0;
}
