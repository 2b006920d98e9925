#include "cli/lb_verbs.h"

#include <iostream>

#include "api/client.h"
#include "api/proto/edgelb.grpc.pb.h"

namespace edgelb::cli {

namespace pb = edgelb::v1;

void add_lb_verbs(CLI::App& app, LbVerbs* v) {
  v->lb_config = app.add_subcommand("lb-config", "the HAProxy configuration a pool's instances run");
  v->lb_config->add_option("pool", v->pool)->required();
  v->lb_config->add_flag("--raw", v->raw, "only the configuration text, exactly as HAProxy reads it");
  v->lb_config->add_option("--instance", v->instance, "whose running configuration (instance-1); default: the lowest");
  v->lb_config->add_flag("--rendered", v->rendered,
                         "what the apiserver renders from the stored pool instead of what an instance runs");
}

bool run_lb_verbs(const LbVerbs& v, const Connection& conn, bool json_out, int* exit) {
  if (!v.lb_config->parsed()) return false;
  auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
  auto ctx = cp::api_context(conn);
  pb::GetLbConfigRequest req;
  req.set_name(v.pool);
  req.set_rendered(v.rendered);
  req.set_instance(v.instance);
  pb::LbConfig r;
  grpc::Status s = stub->GetLbConfig(ctx.get(), req, &r);
  if (s.ok()) {
    if (json_out) {
      print_json(r);
    } else if (v.raw) {
      std::cout << r.config();
    } else {
      const std::string hash = r.config_hash().substr(0, 12);
      if (r.source() == "running") {
        std::cout << "# pool " << r.name() << ": what " << r.instance() << " runs (version " << r.version()
                  << ", sha256 " << hash << ")";
        for (const auto& other : r.running())
          if (other.instance() != r.instance())
            std::cout << "; " << other.instance()
                      << (other.config_hash() == r.config_hash()
                              ? " runs the same"
                              : " runs another (sha256 " + other.config_hash().substr(0, 12) + ")");
        std::cout << "\n";
      } else {
        std::cout << "# pool " << r.name() << " version " << r.version()
                  << " as the apiserver renders it (not what an instance runs), servers at mesos-listener revision "
                  << r.endpoints_revision() << ", " << (r.custom_template() ? "custom" : "default") << " template"
                  << (r.instance().empty() ? ", no instance registered yet (ports asked as 0 are previews)"
                                           : ", ports of " + r.instance())
                  << "\n";
      }
      if (!r.note().empty()) std::cout << "# " << r.note() << "\n";
      std::cout << r.config();
    }
  }
  *exit = report(s);
  return true;
}

int run_pool_lb_endpoints(const std::string& pool, const Connection& conn, bool json_out) {
  auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
  auto ctx = cp::api_context(conn);
  pb::GetPoolRequest req;
  req.set_name(pool);
  pb::PoolEndpoints r;
  grpc::Status s = stub->GetPoolEndpoints(ctx.get(), req, &r);
  if (s.ok()) {
    if (json_out) {
      print_json(r);
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : r.endpoints())
        rows.push_back({e.name(), std::to_string(e.port()), e.address(), e.protocol(), e.instance(), e.host()});
      print_table({"NAME", "PORT", "INTERNAL IP", "PROTOCOL", "INSTANCE", "NODE"}, rows);
      if (r.endpoints().empty()) std::cout << "(no instance of pool " << pool << " is registered)\n";
    }
  }
  return report(s);
}

}  // namespace edgelb::cli
