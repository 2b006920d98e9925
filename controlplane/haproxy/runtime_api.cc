#include "haproxy/runtime_api.h"

#include <map>
#include <sstream>

#include "haproxy/cli_socket.h"
#include "haproxy/haproxy_words.h"

namespace edgelb::haproxy {
namespace {

// Answers of `set server` that are not refusals.
bool benign(const std::string& line) {
  return line.empty() || line.find("IP changed from") == 0 || line.find("no need to change") != std::string::npos ||
         line.find("port changed from") != std::string::npos || line == "New server registered." ||
         line == "Server deleted.";
}

}  // namespace

std::vector<std::string> slot_commands(const std::string& backend, const std::string& server, const Slot& before,
                                       const Slot& after, bool health_checked, const std::string* add_options) {
  const std::string target = "set server " + backend + "/" + server + " ";
  std::vector<std::string> out;
  const bool had = before.server && !before.draining;
  const bool has = after.server && !after.draining;
  auto ready = [&] {
    if (health_checked) out.push_back(target + "health up");
    out.push_back(target + "state ready");
  };
  if (has && add_options && !before.server) {
    // A new dynamic server: created in maintenance, its checks off until enabled.
    std::string add =
        "add server " + backend + "/" + server + " " + host_port(after.server->address, after.server->port);
    if (!add_options->empty()) add += " " + *add_options;
    out.push_back(add);
    if (health_checked) out.push_back("enable health " + backend + "/" + server);
    if (after.server->ready) ready();
    return out;
  }
  if (has) {
    const bool moved = !before.server || !before.server->same_server(*after.server);
    if (moved) out.push_back(target + "addr " + after.server->address + " port " + std::to_string(after.server->port));
    if (after.server->ready) {
      if (moved || !had || !before.server->ready) ready();
    } else {
      // A task that is not ready (yet): no new connections. A newly placed one stays in
      // maintenance; one that was serving drains.
      out.push_back(target + (had && !moved ? "state drain" : "state maint"));
    }
  } else if (after.server && after.draining) {
    if (had) out.push_back(target + "state drain");
  } else if (before.server) {
    out.push_back(target + "state maint");
  }
  return out;
}

std::string del_server_command(const std::string& backend, const std::string& server) {
  return "del server " + backend + "/" + server;
}

std::vector<ServerState> parse_servers_state(const std::string& text) {
  // Columns: be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight
  // srv_iweight srv_time_since_last_change ... srv_port (18th) ...
  std::vector<ServerState> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line == "1") continue;
    std::istringstream f(line);
    std::vector<std::string> c;
    for (std::string w; f >> w;) c.push_back(w);
    if (c.size() < 19) continue;
    ServerState s;
    s.backend = c[1];
    s.server = c[3];
    s.address = c[4];
    try {
      s.op_state = std::stoi(c[5]);
      s.admin_state = std::stoi(c[6]);
      s.weight = static_cast<uint32_t>(std::stoul(c[7]));
      s.port = static_cast<uint32_t>(std::stoul(c[18]));
    } catch (const std::exception&) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string carry_over_server_state(const std::string& state, const std::string& config) {
  // backend -> server -> "addr:port" as the configuration declares them.
  std::map<std::string, std::map<std::string, std::string>> declared;
  std::istringstream cfg(config);
  std::string backend;
  for (std::string line; std::getline(cfg, line);) {
    std::istringstream f(line);
    std::string w, name, where;
    if (!(f >> w)) continue;
    if (w == "backend" || w == "listen" || w == "frontend" || w == "defaults" || w == "global") {
      backend = w == "backend" || w == "listen" ? (f >> name, name) : "";
      continue;
    }
    if (w == "server" && !backend.empty() && f >> name >> where) {
      if (where.size() > 2 && where.front() == '\'' && where.back() == '\'') where = where.substr(1, where.size() - 2);
      auto colon = where.rfind(':');
      if (colon == std::string::npos) continue;
      std::string addr = where.substr(0, colon);
      if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
      declared[backend][name] = addr + ":" + where.substr(colon + 1);
    }
  }
  std::string out;
  std::istringstream in(state);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line == "1") {
      out += line + "\n";
      continue;
    }
    for (const ServerState& s : parse_servers_state(line)) {
      auto b = declared.find(s.backend);
      if (b == declared.end()) continue;
      auto srv = b->second.find(s.server);
      if (srv != b->second.end() && srv->second == s.address + ":" + std::to_string(s.port)) out += line + "\n";
    }
  }
  return out;
}

RuntimeApi::RuntimeApi(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {}

std::string RuntimeApi::execute(const std::string& command_line) const {
  return cli_exchange(path_, command_line, timeout_);
}

RuntimeResult RuntimeApi::run(const std::vector<std::string>& commands) const {
  RuntimeResult r;
  if (commands.empty()) return r;
  std::string line;
  for (const auto& c : commands) line += (line.empty() ? "" : "; ") + c;
  std::istringstream answer(execute(line));
  for (std::string l; std::getline(answer, l);) {
    if (benign(l)) continue;
    r.ok = false;
    r.errors += l + "\n";
  }
  if (!r.errors.empty()) r.errors.pop_back();
  return r;
}

std::string RuntimeApi::servers_state_text(const std::string& backend) const {
  return execute("show servers state" + (backend.empty() ? "" : " " + backend));
}

std::vector<ServerState> RuntimeApi::servers_state(const std::string& backend) const {
  return parse_servers_state(servers_state_text(backend));
}

}  // namespace edgelb::haproxy
