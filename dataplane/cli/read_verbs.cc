#include "cli/read_verbs.h"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/dpctl_support.h"

namespace edgelb::dpctl {
namespace {

int run_version(ControlClient& client, bool json) {
  pb::VersionReply r;
  const grpc::Status st = client.get_version(&r);
  if (!st.ok()) return report(st);
  if (json)
    print_json(r);
  else
    std::printf("edgelb-dataplane %s  table version %llu  publishes %llu  workers %u  %s%s  up %.1fs\n",
                r.version().c_str(), static_cast<unsigned long long>(r.table_version()),
                static_cast<unsigned long long>(r.publishes()), r.workers(), r.serving() ? "serving" : "NOT SERVING",
                r.draining() ? " DRAINING" : "", double(r.uptime_ms()) / 1000);
  return r.serving() ? 0 : 6;
}

// Polls every millisecond: a live table is one all workers already run.
int run_wait(const ReadVerbs& v, ControlClient& client) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(v.timeout_ms);
  for (uint64_t polls = 1;; ++polls) {
    pb::ServiceState r;
    const grpc::Status st = client.get_services(&r);
    if (!st.ok()) return report(st);
    std::string seen = "absent";
    for (const auto& s : r.services())
      if (s.name() == v.service)
        for (const auto& b : s.backends())
          if (b.address() == v.backend) seen = lower(pb::BackendState_Name(b.state() ? b.state() : pb::UP));
    if (seen == v.want_state) {
      timespec ts{};
      clock_gettime(CLOCK_MONOTONIC, &ts);
      std::printf("{\"seen_monotonic_ns\": %lld, \"table_version\": %llu, \"polls\": %llu}\n",
                  static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec,
                  static_cast<unsigned long long>(r.version()), static_cast<unsigned long long>(polls));
      return 0;
    }
    if (polls == 1) {  // the state before: whoever waits on us may start the change now
      std::printf("polling\n");
      std::fflush(stdout);
    }
    if (std::chrono::steady_clock::now() >= end) {
      std::fprintf(stderr, "edgelb-dpctl: %s %s is %s, not %s, after %u ms\n", v.service.c_str(), v.backend.c_str(),
                   seen.c_str(), v.want_state.c_str(), v.timeout_ms);
      return 4;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int run_show_services(ControlClient& client, bool json) {
  pb::ServiceState r;
  const grpc::Status st = client.get_services(&r);
  if (!st.ok()) return report(st);
  if (json) return print_json(r), 0;
  std::printf("table version %llu\n", static_cast<unsigned long long>(r.version()));
  std::printf("%-16s %-28s %-5s %-6s %s\n", "SERVICE", "VIP", "PROTO", "MODE", "BACKENDS (weight/state)");
  for (const auto& s : r.services()) {
    std::string bs;
    for (const auto& b : s.backends())
      bs += (bs.empty() ? "" : ", ") + endpoint(b.address(), b.port() ? b.port() : s.port()) + " " +
            std::to_string(b.weight()) + "/" + lower(pb::BackendState_Name(b.state()));
    std::printf("%-16s %-28s %-5s %-6s %s\n", s.name().c_str(), endpoint(s.vip(), s.port()).c_str(),
                proto_name(s.protocol()), lower(pb::ForwardingMode_Name(s.forwarding())).c_str(), bs.c_str());
  }
  return 0;
}

int run_show_stats(ControlClient& client, bool json) {
  pb::Stats r;
  const grpc::Status st = client.get_stats(&r);
  if (!st.ok()) return report(st);
  if (json) {
    std::cout << r.json() << "\n";
    return 0;
  }
  std::printf("table version %llu  rx %llu  tx %llu  forwarded %llu  punted %llu  dropped %llu\n",
              static_cast<unsigned long long>(r.table_version()), static_cast<unsigned long long>(r.rx_packets()),
              static_cast<unsigned long long>(r.tx_packets()), static_cast<unsigned long long>(r.forwarded()),
              static_cast<unsigned long long>(r.punted()), static_cast<unsigned long long>(r.dropped()));
  std::printf("\n%-6s %12s %12s %12s %10s %10s %8s %7s %9s\n", "LCORE", "RX", "TX", "FORWARDED", "PUNTED", "DROPPED",
              "FLOWS", "BUSY", "CYC/PKT");
  for (const auto& w : r.workers())
    std::printf("%-6u %12llu %12llu %12llu %10llu %10llu %8llu %6.1f%% %9.0f\n", w.lcore(),
                static_cast<unsigned long long>(w.rx_packets()), static_cast<unsigned long long>(w.tx_packets()),
                static_cast<unsigned long long>(w.forwarded()), static_cast<unsigned long long>(w.punted()),
                static_cast<unsigned long long>(w.dropped()), static_cast<unsigned long long>(w.flows()),
                w.busy_ratio() * 100, w.cycles_per_packet());
  std::printf("\n%-16s %-28s %12s %14s %10s %8s\n", "SERVICE", "VIP/BACKEND", "PACKETS", "BYTES", "NEW", "ACTIVE");
  for (const auto& v : r.vips()) {
    std::printf("%-16s %-28s %12llu %14llu %10llu %8llu\n", v.name().c_str(),
                (endpoint(v.vip(), v.port()) + "/" + proto_name(v.protocol())).c_str(),
                static_cast<unsigned long long>(v.packets()), static_cast<unsigned long long>(v.bytes()),
                static_cast<unsigned long long>(v.new_flows()), static_cast<unsigned long long>(v.active_flows()));
    for (const auto& b : v.backends())
      std::printf("%-16s %-28s %12llu %14llu %10s %8llu  %s %s\n", "", ("  " + endpoint(b.address(), b.port())).c_str(),
                  static_cast<unsigned long long>(b.packets()), static_cast<unsigned long long>(b.bytes()), "",
                  static_cast<unsigned long long>(b.active_flows()), lower(pb::BackendState_Name(b.state())).c_str(),
                  b.next_hop().c_str());
  }
  bool header = false;
  for (const auto& [k, n] : r.drops())
    if (n) {
      if (!header) std::printf("\ndrops:");
      header = true;
      std::printf(" %s=%llu", k.c_str(), static_cast<unsigned long long>(n));
    }
  if (header) std::printf("\n");
  return 0;
}

int run_show_flows(const ReadVerbs& v, ControlClient& client, bool json) {
  pb::ListFlowsRequest fq;
  fq.set_vip(v.f_vip);
  fq.set_port(v.f_port);
  fq.set_protocol(v.f_proto == "tcp" ? pb::TCP : v.f_proto == "udp" ? pb::UDP : pb::PROTOCOL_UNSPECIFIED);
  fq.set_client(v.f_client);
  fq.set_backend(v.f_backend);
  fq.set_limit(v.f_limit);
  pb::ListFlowsResponse r;
  const grpc::Status st = client.list_flows(fq, &r);
  if (!st.ok()) return report(st);
  if (json) return print_json(r), 0;
  std::printf("%-5s %-44s %-44s %-5s %-12s %-30s %9s %9s\n", "LCORE", "CLIENT", "VIP", "PROTO", "STATE",
              "BACKEND (NAT SOURCE)", "AGE_MS", "TTL_MS");
  for (const auto& f : r.flows()) {
    std::string be = f.backend() == "gone" ? "gone" : endpoint(f.backend(), f.backend_port());
    if (!f.nat_address().empty()) be += " (" + endpoint(f.nat_address(), f.nat_port()) + ")";
    std::printf("%-5u %-44s %-44s %-5s %-12s %-30s %9llu %9llu\n", f.lcore(),
                endpoint(f.client(), f.client_port()).c_str(), endpoint(f.vip(), f.vip_port()).c_str(),
                proto_name(f.protocol()), f.state().c_str(), be.c_str(), static_cast<unsigned long long>(f.age_ms()),
                static_cast<unsigned long long>(f.expires_in_ms()));
  }
  std::printf("%d flow(s)%s\n", r.flows_size(), r.truncated() ? " (truncated: more match; raise --limit)" : "");
  return 0;
}

}  // namespace

void add_read_verbs(CLI::App& app, ReadVerbs* v) {
  v->version = app.add_subcommand("version", "build and table version, health");
  v->show = app.add_subcommand("show", "show services | stats | flows");
  v->show->add_option("what", v->what, "services, stats or flows")
      ->required()
      ->check(CLI::IsMember({"services", "stats", "flows"}));
  v->show->add_option("--vip", v->f_vip, "flows: VIP address");
  v->show->add_option("--port", v->f_port, "flows: VIP port");
  v->show->add_option("--protocol", v->f_proto, "flows: tcp or udp")->check(CLI::IsMember({"tcp", "udp"}));
  v->show->add_option("--client", v->f_client, "flows: client address");
  v->show->add_option("--backend", v->f_backend, "flows: backend address");
  v->show->add_option("--limit", v->f_limit, "flows: at most this many (default 100, max 10000)");
  v->wait = app.add_subcommand(
      "wait",
      "wait until a service's backend is in a state: prints \"polling\" after the first look (when not there "
      "yet), then when (CLOCK_MONOTONIC ns) and the table version");
  v->wait->add_option("service", v->service)->required();
  v->wait->add_option("backend", v->backend, "backend address")->required();
  v->wait->add_option("--state", v->want_state, "up, drain, down or absent")
      ->check(CLI::IsMember({"up", "drain", "down", "absent"}));
  v->wait->add_option("--timeout-ms", v->timeout_ms);
}

bool run_read_verbs(const ReadVerbs& v, ControlClient& client, bool json, int* exit) {
  if (*v.version)
    *exit = run_version(client, json);
  else if (*v.wait)
    *exit = run_wait(v, client);
  else if (*v.show && v.what == "services")
    *exit = run_show_services(client, json);
  else if (*v.show && v.what == "stats")
    *exit = run_show_stats(client, json);
  else if (*v.show && v.what == "flows")
    *exit = run_show_flows(v, client, json);
  else
    return false;
  return true;
}

}  // namespace edgelb::dpctl
