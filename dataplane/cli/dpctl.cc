// edgelb-dpctl: calls one dataplane's local control service (dataplane_control.proto) over
// its unix socket. Reads print tables (or --json); changes print the new live version. Each
// group of verbs has its own file (read_verbs, change_verbs, drain_verbs, top_command).
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
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/change_verbs.h"
#include "cli/drain_verbs.h"
#include "cli/read_verbs.h"
#include "cli/top_command.h"
#include "config/yaml_reader.h"
#include "control/control_client.h"

namespace {

struct TopVerb {
  CLI::App* top = nullptr;
  edgelb::top::Options options;
  std::string sort = "pps";
};

void add_top_verb(CLI::App& app, TopVerb* v) {
  v->top = app.add_subcommand("top", "a live view refreshed every interval: workers, services, backends, drops");
  v->top->add_option("--interval", v->options.interval_s, "seconds between samples (default 1)")
      ->check(CLI::Range(0.1, 3600.0));
  v->top->add_option("--sort", v->sort, "services by pps, bps, new (flows/s), active (flows) or name")
      ->check(CLI::IsMember({"pps", "bps", "new", "active", "name"}));
  v->top->add_option("--vip", v->options.filter, "only services whose name or VIP:port contains this");
  v->top->add_flag("--once", v->options.once, "print one frame (one interval) and exit");
  v->top->add_option("--iterations", v->options.iterations, "print this many frames and exit");
  v->top->add_flag("--json", v->options.json, "frames as JSON, one document per line");
}

}  // namespace

int main(int argc, char** argv) {
  namespace dpctl = edgelb::dpctl;
  CLI::App app{"edgelb-dpctl: the edgelb dataplane's local control service"};
  app.require_subcommand(1);
  std::string socket = "/run/edgelb/dataplane.sock";
  bool json = false;
  app.add_option("--socket", socket, "control socket (dataplane config control.socket)");
  app.add_flag("--json", json, "print reads as JSON");
  dpctl::ReadVerbs reads;
  dpctl::ChangeVerbs changes;
  dpctl::DrainVerbs drain;
  TopVerb top;
  dpctl::add_read_verbs(app, &reads);
  dpctl::add_change_verbs(app, &changes);
  dpctl::add_drain_verbs(app, &drain);
  add_top_verb(app, &top);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  edgelb::ControlClient client(socket);
  if (*top.top) {
    top.options.sort = *edgelb::top::parse_sort_key(top.sort);
    top.options.json = top.options.json || json;
    return edgelb::top::run(client, top.options);
  }
  int rc = 1;
  try {
    if (dpctl::run_read_verbs(reads, client, json, &rc) || dpctl::run_drain_verbs(drain, client, json, &rc) ||
        dpctl::run_change_verbs(changes, client, &rc))
      return rc;
    return 2;
  } catch (const edgelb::ConfigError& e) {
    std::fprintf(stderr, "edgelb-dpctl: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dpctl: %s\n", e.what());
    return 1;
  }
}
