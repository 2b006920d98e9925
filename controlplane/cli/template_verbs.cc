#include "cli/template_verbs.h"

#include <iostream>

#include "api/client.h"
#include "api/proto/edgelb.grpc.pb.h"
#include "haproxy/config_renderer.h"

namespace edgelb::cli {

namespace pb = edgelb::v1;

void add_template_verbs(CLI::App& app, TemplateVerbs* v) {
  auto* tmpl = app.add_subcommand("template", "a pool's custom HAProxy template");
  tmpl->require_subcommand(1);
  v->create = tmpl->add_subcommand("create", "store a custom template");
  v->update = tmpl->add_subcommand("update", "replace the custom template");
  for (auto* c : {v->create, v->update}) {
    c->add_option("pool", v->pool)->required();
    c->add_option("file", v->file)->required();
  }
  v->show = tmpl->add_subcommand("show", "print a pool's custom template (or --default, the built-in one)");
  v->show->add_option("pool", v->pool);
  v->show->add_flag("--default", v->show_default, "the default template (mustache; docs/agent.md)");
  v->del = tmpl->add_subcommand("delete", "go back to the default template");
  v->del->add_option("pool", v->pool)->required();
}

bool run_template_verbs(const TemplateVerbs& v, const Connection& conn, bool json_out, int* exit) {
  if (!v.create->parsed() && !v.update->parsed() && !v.show->parsed() && !v.del->parsed()) return false;
  if (v.show->parsed() && v.show_default) {
    std::cout << haproxy::default_template();
    *exit = 0;
    return true;
  }
  if (v.show->parsed() && v.pool.empty()) {
    std::cerr << "edgelbctl: template show needs a pool (or --default)\n";
    *exit = 2;
    return true;
  }
  auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
  auto ctx = cp::api_context(conn);
  grpc::Status s;
  if (v.create->parsed() || v.update->parsed()) {
    pb::PutTemplateRequest req;
    req.set_pool(v.pool);
    req.set_template_(read_file(v.file));
    pb::TemplateReply r;
    s = stub->PutTemplate(ctx.get(), req, &r);
    if (s.ok()) std::cout << "Successfully stored the template of pool " << v.pool << "\n";
  } else {
    pb::TemplateRequest req;
    req.set_pool(v.pool);
    pb::TemplateReply r;
    s = v.show->parsed() ? stub->GetTemplate(ctx.get(), req, &r) : stub->DeleteTemplate(ctx.get(), req, &r);
    if (s.ok() && v.show->parsed()) {
      if (json_out)
        print_json(r);
      else
        std::cout << r.template_();
    } else if (s.ok()) {
      std::cout << "Successfully deleted the template of pool " << v.pool << " (the default applies)\n";
    }
  }
  *exit = report(s);
  return true;
}

}  // namespace edgelb::cli
