#include "cli/change_verbs.h"

#include <cstdio>

#include "cli/dpctl_support.h"
#include "config/service_file.h"
#include "config/yaml_reader.h"
#include "control/spec_codec.h"

namespace edgelb::dpctl {
namespace {

// One services[] entry from a YAML map; *rc = 3 (and the problems printed) when it is refused.
pb::Service load_one_service(const std::string& file, int* rc) {
  YAML::Node root;
  root["services"].push_back(load_yaml_file(file));
  std::vector<FieldError> errors;
  TableSpec t = parse_service_table(root, errors);
  if (!errors.empty()) {
    std::fprintf(stderr, "edgelb-dpctl: %s rejected:\n", file.c_str());
    for (auto& e : errors)
      std::fprintf(stderr, "  %s: %s\n", e.path.substr(e.path.find('.') + 1).c_str(), e.reason.c_str());
    *rc = 3;
    return {};
  }
  return encode_service(t.services.at(0));
}

ControlOutcome run_set_backend(const ChangeVerbs& v, ControlClient& client) {
  std::optional<BackendState> state;
  if (!v.state.empty())
    state = v.state == "up" ? BackendState::kUp : v.state == "drain" ? BackendState::kDrain : BackendState::kDown;
  if (v.backends.size() == 1) return client.set_backend(v.name, v.backends[0], v.weight, state, v.expected);
  ControlChanges changes;
  for (const auto& b : v.backends) changes.set_backend(v.name, b, v.weight, state);
  return client.apply_changes(std::move(changes), v.expected);
}

}  // namespace

void add_change_verbs(CLI::App& app, ChangeVerbs* v) {
  v->apply = app.add_subcommand("apply", "apply a whole service table (YAML)");
  v->apply->add_option("file", v->file)->required()->check(CLI::ExistingFile);
  v->apply->add_option("--version", v->version_override, "version to apply (default: the file's)");
  v->upsert = app.add_subcommand("upsert", "add or replace one service (YAML map)");
  v->upsert->add_option("file", v->file)->required()->check(CLI::ExistingFile);
  v->upsert->add_option("--expected-version", v->expected);
  v->del = app.add_subcommand("delete", "delete a service by name");
  v->del->add_option("name", v->name)->required();
  v->del->add_option("--expected-version", v->expected);
  v->set_backend =
      app.add_subcommand("set-backend", "set backends' weight and/or state (several: one table, all of them or none)");
  v->set_backend->add_option("service", v->name)->required();
  v->set_backend->add_option("backend", v->backends, "address, address:port, [v6]:port or id; one or more")->required();
  v->set_backend->add_option("--weight", v->weight);
  v->set_backend->add_option("--state", v->state)->check(CLI::IsMember({"up", "drain", "down"}));
  v->set_backend->add_option("--expected-version", v->expected);
}

bool run_change_verbs(const ChangeVerbs& v, ControlClient& client, int* exit) {
  ControlOutcome o;
  if (*v.apply) {
    pb::ServiceState state = encode_state(load_service_file(v.file));
    if (v.version_override) state.set_version(v.version_override);
    o = client.apply_state(state);
  } else if (*v.upsert) {
    int rc = 0;
    pb::Service service = load_one_service(v.file, &rc);
    if (rc) return *exit = rc, true;
    o = client.upsert_service(service, v.expected);
  } else if (*v.del) {
    o = client.delete_service(v.name, v.expected);
  } else if (*v.set_backend) {
    o = run_set_backend(v, client);
  } else {
    return false;
  }
  if (!o.ok()) return *exit = report(o.status, o.violations, o.version), true;
  std::printf("%s: live version %llu\n", o.changed ? "applied" : "unchanged",
              static_cast<unsigned long long>(o.version));
  *exit = 0;
  return true;
}

}  // namespace edgelb::dpctl
