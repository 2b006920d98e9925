// edgelb-dpctl: calls one dataplane's local control service (dataplane_control.proto) over
// its unix socket. Reads print tables (or --json); changes print the new live version.
//
//   edgelb-dpctl [--socket PATH] [--json] version
//   edgelb-dpctl show services | stats | flows [--vip A] [--port N] [--protocol tcp|udp]
//                                              [--client A] [--backend A] [--limit N]
//   edgelb-dpctl apply FILE                 the whole table (services YAML, docs/dataplane.md)
//   edgelb-dpctl upsert FILE                one service (a services[] entry as a YAML map)
//   edgelb-dpctl delete NAME
//   edgelb-dpctl set-backend SERVICE BACKEND [--weight N] [--state up|drain|down]
//   edgelb-dpctl wait SERVICE BACKEND [--state up|drain|down|absent] [--timeout-ms N]
//   edgelb-dpctl drain [--off | --status] [--wait [--until-flows N] [--timeout S]]
//                                           the node: no new flows, tracked ones go on
//   edgelb-dpctl top [--interval S] [--sort pps|bps|new|active|name] [--vip TEXT]
//                    [--once] [--iterations N] [--json]   a live view, like top(1) (top_command.h)
//   (changes take --expected-version N; apply takes --version N to override the file's)
//
// Exit codes: 0 ok, 2 usage, 3 invalid argument (field paths printed), 4 version conflict or
// stale, 5 not found, 6 unavailable (no dataplane on the socket), 7 drain --wait timed out with
// flows left, 1 anything else.
#include <google/protobuf/util/json_util.h>
#include <time.h>

#include <grpcpp/grpcpp.h>
#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/top_command.h"
#include "config/service_file.h"
#include "config/yaml_reader.h"
#include "control/control_client.h"
#include "control/proto/dataplane_control.grpc.pb.h"
#include "control/spec_codec.h"
#include "rpc/rpc_error.h"

namespace {

namespace pb = edgelb::dataplane::v1;
namespace rpc = edgelb::rpc;

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::INVALID_ARGUMENT: return "invalid argument";
    case grpc::ABORTED: return "version conflict";
    case grpc::FAILED_PRECONDITION: return "stale version";
    case grpc::NOT_FOUND: return "not found";
    case grpc::UNAVAILABLE: return "unavailable";
    default: return "error";
  }
}

// Prints the error: its field violations when the server sent them, else its message.
// Prints a failed call: its field violations and the version still serving when the server
// sent them, its message otherwise; returns the exit code.
int report(const grpc::Status& s, const edgelb::FieldErrors& violations = {}, uint64_t live_version = 0) {
  if (!violations.empty()) {
    std::fprintf(stderr, "edgelb-dpctl: %s (still serving version %llu):\n", code_name(s.error_code()),
                 static_cast<unsigned long long>(live_version));
    for (const auto& v : violations) std::fprintf(stderr, "  %s: %s\n", v.path.c_str(), v.reason.c_str());
  } else {
    std::fprintf(stderr, "edgelb-dpctl: %s: %s\n", code_name(s.error_code()), s.error_message().c_str());
  }
  return rpc::exit_code(s.error_code());
}

void print_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
}

const char* proto_name(pb::Protocol p) { return p == pb::TCP ? "tcp" : p == pb::UDP ? "udp" : "-"; }
std::string lower(const std::string& s) {
  std::string o;
  for (char c : s) o += char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}
std::string endpoint(const std::string& a, uint32_t port) {
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

pb::Service load_one_service(const std::string& file, int* rc) {
  YAML::Node root;
  root["services"].push_back(edgelb::load_yaml_file(file));
  std::vector<edgelb::FieldError> errors;
  edgelb::TableSpec t = edgelb::parse_service_table(root, errors);
  if (!errors.empty()) {
    std::fprintf(stderr, "edgelb-dpctl: %s rejected:\n", file.c_str());
    for (auto& e : errors)
      std::fprintf(stderr, "  %s: %s\n", e.path.substr(e.path.find('.') + 1).c_str(), e.reason.c_str());
    *rc = 3;
    return {};
  }
  return edgelb::encode_service(t.services.at(0));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgelb-dpctl: the edgelb dataplane's local control service"};
  app.require_subcommand(1);
  std::string socket = "/run/edgelb/dataplane.sock";
  bool json = false;
  app.add_option("--socket", socket, "control socket (dataplane config control.socket)");
  app.add_flag("--json", json, "print reads as JSON");

  auto* version = app.add_subcommand("version", "build and table version, health");
  auto* show = app.add_subcommand("show", "show services | stats | flows");
  std::string what;
  show->add_option("what", what, "services, stats or flows")
      ->required()
      ->check(CLI::IsMember({"services", "stats", "flows"}));
  pb::ListFlowsRequest fq;
  std::string f_vip, f_client, f_backend, f_proto;
  uint32_t f_port = 0, f_limit = 0;
  show->add_option("--vip", f_vip, "flows: VIP address");
  show->add_option("--port", f_port, "flows: VIP port");
  show->add_option("--protocol", f_proto, "flows: tcp or udp")->check(CLI::IsMember({"tcp", "udp"}));
  show->add_option("--client", f_client, "flows: client address");
  show->add_option("--backend", f_backend, "flows: backend address");
  show->add_option("--limit", f_limit, "flows: at most this many (default 100, max 10000)");

  uint64_t expected = 0, version_override = 0;
  auto* apply = app.add_subcommand("apply", "apply a whole service table (YAML)");
  std::string file;
  apply->add_option("file", file)->required()->check(CLI::ExistingFile);
  apply->add_option("--version", version_override, "version to apply (default: the file's)");
  auto* upsert = app.add_subcommand("upsert", "add or replace one service (YAML map)");
  upsert->add_option("file", file)->required()->check(CLI::ExistingFile);
  upsert->add_option("--expected-version", expected);
  auto* del = app.add_subcommand("delete", "delete a service by name");
  std::string name;
  del->add_option("name", name)->required();
  del->add_option("--expected-version", expected);
  auto* setb =
      app.add_subcommand("set-backend", "set backends' weight and/or state (several: one table, all of them or none)");
  std::string backend, state;
  std::vector<std::string> backends;
  std::optional<uint32_t> weight;
  setb->add_option("service", name)->required();
  setb->add_option("backend", backends, "address, address:port, [v6]:port or id; one or more")->required();
  setb->add_option("--weight", weight);
  setb->add_option("--state", state)->check(CLI::IsMember({"up", "drain", "down"}));
  setb->add_option("--expected-version", expected);
  auto* waitc = app.add_subcommand(
      "wait",
      "wait until a service's backend is in a state: prints \"polling\" after the first look (when not there "
      "yet), then when (CLOCK_MONOTONIC ns) and the table version");
  std::string want_state = "up";
  uint32_t timeout_ms = 10000;
  waitc->add_option("service", name)->required();
  waitc->add_option("backend", backend, "backend address")->required();
  waitc->add_option("--state", want_state, "up, drain, down or absent")
      ->check(CLI::IsMember({"up", "drain", "down", "absent"}));
  waitc->add_option("--timeout-ms", timeout_ms);
  auto* drainc = app.add_subcommand(
      "drain",
      "drain the node: tracked flows go on, new ones are dropped (node_draining); --off takes new flows again");
  bool drain_off = false, drain_status = false, drain_wait = false;
  uint64_t until_flows = 0;
  uint32_t drain_timeout_s = 300;
  drainc->add_flag("--off", drain_off, "stop draining");
  drainc->add_flag("--status", drain_status, "print whether the node drains and its flows; change nothing");
  drainc->add_flag("--wait", drain_wait, "then wait until the tracked flows fall to --until-flows");
  drainc->add_option("--until-flows", until_flows, "--wait: flows left that count as drained (default 0)");
  drainc->add_option("--timeout", drain_timeout_s, "--wait: give up after this many seconds (default 300)");
  auto* topc = app.add_subcommand("top", "a live view refreshed every interval: workers, services, backends, drops");
  edgelb::top::Options top_options;
  std::string top_sort = "pps";
  topc->add_option("--interval", top_options.interval_s, "seconds between samples (default 1)")
      ->check(CLI::Range(0.1, 3600.0));
  topc->add_option("--sort", top_sort, "services by pps, bps, new (flows/s), active (flows) or name")
      ->check(CLI::IsMember({"pps", "bps", "new", "active", "name"}));
  topc->add_option("--vip", top_options.filter, "only services whose name or VIP:port contains this");
  topc->add_flag("--once", top_options.once, "print one frame (one interval) and exit");
  topc->add_option("--iterations", top_options.iterations, "print this many frames and exit");
  topc->add_flag("--json", top_options.json, "frames as JSON, one document per line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  edgelb::ControlClient client(socket);
  grpc::Status st;
  if (*topc) {
    top_options.sort = *edgelb::top::parse_sort_key(top_sort);
    top_options.json = top_options.json || json;
    return edgelb::top::run(client, top_options);
  }

  try {
    if (*version) {
      pb::VersionReply r;
      st = client.get_version(&r);
      if (!st.ok()) return report(st);
      if (json)
        print_json(r);
      else
        std::printf("edgelb-dataplane %s  table version %llu  publishes %llu  workers %u  %s%s  up %.1fs\n",
                    r.version().c_str(), static_cast<unsigned long long>(r.table_version()),
                    static_cast<unsigned long long>(r.publishes()), r.workers(),
                    r.serving() ? "serving" : "NOT SERVING", r.draining() ? " DRAINING" : "",
                    double(r.uptime_ms()) / 1000);
      return r.serving() ? 0 : 6;
    }
    if (*drainc) {
      auto tracked_flows = [&client](uint64_t* flows) {  // all workers
        pb::Stats s;
        const grpc::Status status = client.get_stats(&s);
        *flows = 0;
        for (const auto& w : s.workers()) *flows += w.flows();
        return status;
      };
      pb::DrainReply r;
      if (drain_status) {
        pb::VersionReply v;
        uint64_t flows = 0;
        st = client.get_version(&v);
        if (st.ok()) st = tracked_flows(&flows);
        if (!st.ok()) return report(st);
        r.set_draining(v.draining());
        r.set_flows(flows);
        r.set_table_version(v.table_version());
      } else {
        st = client.set_drain(!drain_off, &r);
        if (!st.ok()) return report(st);
      }
      if (json)
        print_json(r);
      else
        std::printf(
            "%s: %llu flows tracked, table version %llu\n",
            r.draining() ? "draining (new flows are dropped as node_draining)" : "not draining (taking new flows)",
            static_cast<unsigned long long>(r.flows()), static_cast<unsigned long long>(r.table_version()));
      if (!drain_wait || !r.draining()) return 0;
      const auto start = std::chrono::steady_clock::now();
      for (;;) {
        uint64_t flows = 0;
        st = tracked_flows(&flows);
        if (!st.ok()) return report(st);
        const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (flows <= until_flows) {
          std::printf("drained: %llu flows tracked after %.0f s\n", static_cast<unsigned long long>(flows), waited);
          return 0;
        }
        if (waited >= drain_timeout_s) {
          std::printf("still %llu flows tracked after %.0f s (--timeout %u)\n", static_cast<unsigned long long>(flows),
                      waited, drain_timeout_s);
          return 7;
        }
        std::printf("draining: %llu flows tracked\n", static_cast<unsigned long long>(flows));
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
    if (*waitc) {  // polls every millisecond: a live table is one all workers already run
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
      for (uint64_t polls = 1;; ++polls) {
        pb::ServiceState r;
        st = client.get_services(&r);
        if (!st.ok()) return report(st);
        std::string seen = "absent";
        for (const auto& s : r.services())
          if (s.name() == name)
            for (const auto& b : s.backends())
              if (b.address() == backend) seen = lower(pb::BackendState_Name(b.state() ? b.state() : pb::UP));
        if (seen == want_state) {
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
          std::fprintf(stderr, "edgelb-dpctl: %s %s is %s, not %s, after %u ms\n", name.c_str(), backend.c_str(),
                       seen.c_str(), want_state.c_str(), timeout_ms);
          return 4;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    if (*show && what == "services") {
      pb::ServiceState r;
      st = client.get_services(&r);
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
    if (*show && what == "stats") {
      pb::Stats r;
      st = client.get_stats(&r);
      if (!st.ok()) return report(st);
      if (json) {
        std::cout << r.json() << "\n";
        return 0;
      }
      std::printf("table version %llu  rx %llu  tx %llu  forwarded %llu  punted %llu  dropped %llu\n",
                  static_cast<unsigned long long>(r.table_version()), static_cast<unsigned long long>(r.rx_packets()),
                  static_cast<unsigned long long>(r.tx_packets()), static_cast<unsigned long long>(r.forwarded()),
                  static_cast<unsigned long long>(r.punted()), static_cast<unsigned long long>(r.dropped()));
      std::printf("\n%-6s %12s %12s %12s %10s %10s %8s %7s %9s\n", "LCORE", "RX", "TX", "FORWARDED", "PUNTED",
                  "DROPPED", "FLOWS", "BUSY", "CYC/PKT");
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
          std::printf("%-16s %-28s %12llu %14llu %10s %8llu  %s %s\n", "",
                      ("  " + endpoint(b.address(), b.port())).c_str(), static_cast<unsigned long long>(b.packets()),
                      static_cast<unsigned long long>(b.bytes()), "", static_cast<unsigned long long>(b.active_flows()),
                      lower(pb::BackendState_Name(b.state())).c_str(), b.next_hop().c_str());
      }
      bool header = false;
      for (const auto& [k, v] : r.drops())
        if (v) {
          if (!header) std::printf("\ndrops:");
          header = true;
          std::printf(" %s=%llu", k.c_str(), static_cast<unsigned long long>(v));
        }
      if (header) std::printf("\n");
      return 0;
    }
    if (*show && what == "flows") {
      fq.set_vip(f_vip);
      fq.set_port(f_port);
      fq.set_protocol(f_proto == "tcp" ? pb::TCP : f_proto == "udp" ? pb::UDP : pb::PROTOCOL_UNSPECIFIED);
      fq.set_client(f_client);
      fq.set_backend(f_backend);
      fq.set_limit(f_limit);
      pb::ListFlowsResponse r;
      st = client.list_flows(fq, &r);
      if (!st.ok()) return report(st);
      if (json) return print_json(r), 0;
      std::printf("%-5s %-44s %-44s %-5s %-12s %-30s %9s %9s\n", "LCORE", "CLIENT", "VIP", "PROTO", "STATE",
                  "BACKEND (NAT SOURCE)", "AGE_MS", "TTL_MS");
      for (const auto& f : r.flows()) {
        std::string be = f.backend() == "gone" ? "gone" : endpoint(f.backend(), f.backend_port());
        if (!f.nat_address().empty()) be += " (" + endpoint(f.nat_address(), f.nat_port()) + ")";
        std::printf("%-5u %-44s %-44s %-5s %-12s %-30s %9llu %9llu\n", f.lcore(),
                    endpoint(f.client(), f.client_port()).c_str(), endpoint(f.vip(), f.vip_port()).c_str(),
                    proto_name(f.protocol()), f.state().c_str(), be.c_str(),
                    static_cast<unsigned long long>(f.age_ms()), static_cast<unsigned long long>(f.expires_in_ms()));
      }
      std::printf("%d flow(s)%s\n", r.flows_size(), r.truncated() ? " (truncated: more match; raise --limit)" : "");
      return 0;
    }
    edgelb::ControlOutcome o;
    if (*apply) {
      pb::ServiceState state = edgelb::encode_state(edgelb::load_service_file(file));
      if (version_override) state.set_version(version_override);
      o = client.apply_state(state);
    } else if (*upsert) {
      int rc = 0;
      pb::Service service = load_one_service(file, &rc);
      if (rc) return rc;
      o = client.upsert_service(service, expected);
    } else if (*del) {
      o = client.delete_service(name, expected);
    } else if (*setb) {
      std::optional<edgelb::BackendState> st_value;
      if (!state.empty())
        st_value = state == "up"      ? edgelb::BackendState::kUp
                   : state == "drain" ? edgelb::BackendState::kDrain
                                      : edgelb::BackendState::kDown;
      if (backends.size() == 1) {
        o = client.set_backend(name, backends[0], weight, st_value, expected);
      } else {
        edgelb::ControlChanges changes;
        for (const auto& b : backends) changes.set_backend(name, b, weight, st_value);
        o = client.apply_changes(std::move(changes), expected);
      }
    }
    if (!o.ok()) return report(o.status, o.violations, o.version);
    std::printf("%s: live version %llu\n", o.changed ? "applied" : "unchanged",
                static_cast<unsigned long long>(o.version));
    return 0;
  } catch (const edgelb::ConfigError& e) {
    std::fprintf(stderr, "edgelb-dpctl: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dpctl: %s\n", e.what());
    return 1;
  }
}
