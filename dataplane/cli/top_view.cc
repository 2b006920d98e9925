#include "cli/top_view.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace edgelb::top {
namespace {

using nlohmann::json;

// j[k], or null when j is not an object or has no k (a sample may lack a part).
const json& at(const json& j, const char* k) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(k);
  return it != j.end() ? *it : kNull;
}

uint64_t u64(const json& j, const char* k) {
  if (!j.is_object()) return 0;
  auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}

// The interval's share of a counter; one that went backwards (a reused slot) counts from zero.
uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

std::string endpoint(const std::string& a, uint64_t port) {
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

std::string service_key(const json& s) {
  return s.value("name", "") + " " + endpoint(s.value("vip", ""), u64(s, "port")) + "/" + s.value("protocol", "");
}

// The workers/services/backends of the earlier sample by key, each key computed once; at() of
// a key it lacks is null (the entry appeared in the interval).
class ByKey {
 public:
  ByKey(const json& list, std::string (*key_of)(const json&)) {
    if (list.is_array())
      for (const auto& e : list) entries_.emplace(key_of(e), &e);
  }
  const json& at(const std::string& key) const {
    static const json kNull;
    auto it = entries_.find(key);
    return it == entries_.end() ? kNull : *it->second;
  }

 private:
  std::unordered_map<std::string, const json*> entries_;
};

std::string lcore_key(const json& w) { return std::to_string(u64(w, "lcore")); }
std::string backend_key(const json& b) { return endpoint(b.value("address", ""), u64(b, "port")); }

uint64_t sum_values(const json& m) {
  uint64_t n = 0;
  if (m.is_object())
    for (const auto& [k, v] : m.items())
      if (v.is_number()) n += v.get<uint64_t>();
  return n;
}

std::vector<ReasonRow> reasons(const json& now, const json& before, double s) {
  std::vector<ReasonRow> out;
  if (!now.is_object()) return out;
  for (const auto& [k, v] : now.items()) {
    const uint64_t total = v.is_number() ? v.get<uint64_t>() : 0;
    if (!total) continue;
    out.push_back({k, double(delta(total, u64(before, k.c_str()))) / s, total});
  }
  std::sort(out.begin(), out.end(), [](const ReasonRow& a, const ReasonRow& b) {
    return a.per_s != b.per_s ? a.per_s > b.per_s : a.total != b.total ? a.total > b.total : a.reason < b.reason;
  });
  return out;
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string fit(std::string s, size_t width) {
  if (s.size() > width) s.resize(width);
  return s;
}

}  // namespace

std::optional<SortKey> parse_sort_key(const std::string& name) {
  static const std::map<std::string, SortKey> keys = {{"pps", SortKey::kPps},
                                                      {"bps", SortKey::kBps},
                                                      {"new", SortKey::kNewFlows},
                                                      {"active", SortKey::kActiveFlows},
                                                      {"name", SortKey::kName}};
  auto it = keys.find(name);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

const char* sort_key_name(SortKey k) {
  switch (k) {
    case SortKey::kPps: return "pps";
    case SortKey::kBps: return "bps";
    case SortKey::kNewFlows: return "new";
    case SortKey::kActiveFlows: return "active";
    case SortKey::kName: return "name";
  }
  return "?";
}

std::string human(double v) {
  if (v < 10000) return fmt("%.0f", v);
  if (v < 1e6) return fmt("%.1fK", v / 1e3);
  if (v < 1e9) return fmt("%.2fM", v / 1e6);
  return fmt("%.2fG", v / 1e9);
}

View compute(const json& before, const json& after, double seconds) {
  const double s = seconds > 0 ? seconds : 1;
  View v;
  v.interval_s = seconds;
  v.table_version = u64(after, "table_version");
  v.draining = at(after, "draining").is_boolean() && at(after, "draining").get<bool>();
  const json& t = at(after, "totals");
  const json& bt = at(before, "totals");
  v.rx_pps = double(delta(u64(t, "rx_packets"), u64(bt, "rx_packets"))) / s;
  v.tx_pps = double(delta(u64(t, "tx_packets"), u64(bt, "tx_packets"))) / s;
  v.drop_pps = double(delta(u64(t, "drops_total"), u64(bt, "drops_total"))) / s;
  v.punt_pps = double(delta(u64(t, "punted_total"), u64(bt, "punted_total"))) / s;
  v.flows = u64(t, "flows");
  v.flow_capacity = u64(t, "flow_capacity");
  v.drops = reasons(at(t, "drops"), at(bt, "drops"), s);
  v.punts = reasons(at(t, "punted"), at(bt, "punted"), s);

  const json& rcu = at(after, "rcu");
  const json& brcu = at(before, "rcu");
  v.publishes = u64(rcu, "publishes");
  v.publishes_ps = double(delta(v.publishes, u64(brcu, "publishes"))) / s;
  v.last_grace_period_us = double(u64(rcu, "last_grace_period_ns")) / 1000;

  const json& ex = at(after, "exception_path");
  const json& bex = at(before, "exception_path");
  v.to_kernel_pps = double(delta(u64(ex, "to_kernel_packets"), u64(bex, "to_kernel_packets"))) / s;
  v.from_kernel_pps = double(delta(u64(ex, "from_kernel_packets"), u64(bex, "from_kernel_packets"))) / s;
  v.to_kernel_bps = 8 * double(delta(u64(ex, "to_kernel_bytes"), u64(bex, "to_kernel_bytes"))) / s;
  v.from_kernel_bps = 8 * double(delta(u64(ex, "from_kernel_bytes"), u64(bex, "from_kernel_bytes"))) / s;

  const ByKey bworkers(at(before, "workers"), lcore_key);
  for (const auto& w : at(after, "workers")) {
    const json& bw = bworkers.at(lcore_key(w));
    WorkerRow r;
    r.lcore = uint32_t(u64(w, "lcore"));
    const uint64_t busy = delta(u64(w, "busy_cycles"), u64(bw, "busy_cycles"));
    const uint64_t total = delta(u64(w, "total_cycles"), u64(bw, "total_cycles"));
    const uint64_t processed = delta(u64(w, "processed_packets"), u64(bw, "processed_packets"));
    r.busy_pct = total ? 100.0 * double(busy) / double(total) : 0;
    r.cycles_per_packet = processed ? double(busy) / double(processed) : 0;
    r.rx_pps = double(delta(u64(w, "rx_packets"), u64(bw, "rx_packets"))) / s;
    r.tx_pps = double(delta(u64(w, "tx_packets"), u64(bw, "tx_packets"))) / s;
    r.drop_pps = double(delta(sum_values(at(w, "drops")), sum_values(at(bw, "drops")))) / s;
    r.punt_pps = double(delta(sum_values(at(w, "punted")), sum_values(at(bw, "punted")))) / s;
    const json& ct = at(w, "conntrack");
    r.flows = u64(ct, "occupancy");
    r.flow_capacity = u64(ct, "capacity");
    v.workers.push_back(r);
  }

  const ByKey bservices(at(before, "services"), service_key);
  for (const auto& sv : at(after, "services")) {
    const json& bs = bservices.at(service_key(sv));
    VipRow r;
    r.name = sv.value("name", "");
    r.endpoint = endpoint(sv.value("vip", ""), u64(sv, "port"));
    r.protocol = sv.value("protocol", "");
    r.forwarding = sv.value("forwarding", "");
    r.packets = u64(sv, "packets");
    r.bytes = u64(sv, "bytes");
    r.new_flows = u64(sv, "new_flows");
    r.active_flows = u64(sv, "active_flows");
    r.pps = double(delta(r.packets, u64(bs, "packets"))) / s;
    r.bps = 8 * double(delta(r.bytes, u64(bs, "bytes"))) / s;
    r.new_flows_ps = double(delta(r.new_flows, u64(bs, "new_flows"))) / s;
    const ByKey bbackends(at(bs, "backends"), backend_key);
    uint64_t all = 0;
    std::vector<uint64_t> moved;
    for (const auto& b : at(sv, "backends")) {
      BackendRow br;
      br.endpoint = backend_key(b);
      const json& bb = bbackends.at(br.endpoint);
      br.state = b.value("state", "");
      br.packets = u64(b, "packets");
      br.active_flows = u64(b, "active_flows");
      moved.push_back(delta(br.packets, u64(bb, "packets")));
      all += moved.back();
      br.pps = double(moved.back()) / s;
      r.backends.push_back(br);
    }
    for (size_t i = 0; i < r.backends.size(); ++i)
      r.backends[i].share_pct = all ? 100.0 * double(moved[i]) / double(all) : 0;
    v.vips.push_back(std::move(r));
  }
  return v;
}

void arrange(View& view, SortKey key, const std::string& filter) {
  if (!filter.empty())
    view.vips.erase(std::remove_if(view.vips.begin(), view.vips.end(),
                                   [&](const VipRow& r) {
                                     return r.name.find(filter) == std::string::npos &&
                                            r.endpoint.find(filter) == std::string::npos;
                                   }),
                    view.vips.end());
  auto metric = [key](const VipRow& r) {
    switch (key) {
      case SortKey::kPps: return r.pps;
      case SortKey::kBps: return r.bps;
      case SortKey::kNewFlows: return r.new_flows_ps;
      case SortKey::kActiveFlows: return double(r.active_flows);
      case SortKey::kName: return 0.0;
    }
    return 0.0;
  };
  std::stable_sort(view.vips.begin(), view.vips.end(), [&](const VipRow& a, const VipRow& b) {
    const double ma = metric(a), mb = metric(b);
    if (ma != mb) return ma > mb;
    return a.name != b.name ? a.name < b.name : a.endpoint < b.endpoint;
  });
}

json to_json(const View& v) {
  json workers = json::array(), vips = json::array(), drops = json::object(), punts = json::object();
  for (const auto& w : v.workers)
    workers.push_back({{"lcore", w.lcore},
                       {"busy_pct", w.busy_pct},
                       {"cycles_per_packet", w.cycles_per_packet},
                       {"rx_pps", w.rx_pps},
                       {"tx_pps", w.tx_pps},
                       {"drop_pps", w.drop_pps},
                       {"punt_pps", w.punt_pps},
                       {"flows", w.flows},
                       {"flow_capacity", w.flow_capacity}});
  for (const auto& r : v.vips) {
    json backends = json::array();
    for (const auto& b : r.backends)
      backends.push_back({{"endpoint", b.endpoint},
                          {"state", b.state},
                          {"pps", b.pps},
                          {"share_pct", b.share_pct},
                          {"active_flows", b.active_flows},
                          {"packets", b.packets}});
    vips.push_back({{"name", r.name},
                    {"endpoint", r.endpoint},
                    {"protocol", r.protocol},
                    {"forwarding", r.forwarding},
                    {"pps", r.pps},
                    {"bps", r.bps},
                    {"new_flows_ps", r.new_flows_ps},
                    {"active_flows", r.active_flows},
                    {"packets", r.packets},
                    {"bytes", r.bytes},
                    {"new_flows", r.new_flows},
                    {"backends", backends}});
  }
  for (const auto& d : v.drops) drops[d.reason] = {{"per_s", d.per_s}, {"total", d.total}};
  for (const auto& p : v.punts) punts[p.reason] = {{"per_s", p.per_s}, {"total", p.total}};
  return {{"interval_s", v.interval_s},
          {"table_version", v.table_version},
          {"publishes", v.publishes},
          {"publishes_ps", v.publishes_ps},
          {"last_grace_period_us", v.last_grace_period_us},
          {"draining", v.draining},
          {"rx_pps", v.rx_pps},
          {"tx_pps", v.tx_pps},
          {"drop_pps", v.drop_pps},
          {"punt_pps", v.punt_pps},
          {"flows", v.flows},
          {"flow_capacity", v.flow_capacity},
          {"exception_path",
           {{"to_kernel_pps", v.to_kernel_pps},
            {"from_kernel_pps", v.from_kernel_pps},
            {"to_kernel_bps", v.to_kernel_bps},
            {"from_kernel_bps", v.from_kernel_bps}}},
          {"workers", workers},
          {"vips", vips},
          {"drops", drops},
          {"punts", punts}};
}

std::vector<std::string> render(const View& v, SortKey key, const std::string& filter, const std::string& status,
                                int width, int height) {
  std::vector<std::string> lines;
  const size_t w = size_t(std::max(width, 20));
  auto add = [&](const std::string& s) { lines.push_back(fit(s, w)); };
  add(fmt("edgelb-dpctl top - every %.1fs  table v%llu  publishes %llu (%.1f/s)  last grace %.0f us%s", v.interval_s,
          static_cast<unsigned long long>(v.table_version), static_cast<unsigned long long>(v.publishes),
          v.publishes_ps, v.last_grace_period_us, v.draining ? "  DRAINING" : ""));
  add(fmt("rx %s pps  tx %s pps  drops %s/s  punts %s/s  flows %llu/%llu  kernel: to %s pps %sbps, from %s pps %sbps",
          human(v.rx_pps).c_str(), human(v.tx_pps).c_str(), human(v.drop_pps).c_str(), human(v.punt_pps).c_str(),
          static_cast<unsigned long long>(v.flows), static_cast<unsigned long long>(v.flow_capacity),
          human(v.to_kernel_pps).c_str(), human(v.to_kernel_bps).c_str(), human(v.from_kernel_pps).c_str(),
          human(v.from_kernel_bps).c_str()));
  add(fmt("sort %s%s%s  %s", sort_key_name(key), filter.empty() ? "" : "  filter ", filter.c_str(), status.c_str()));
  add("");
  add(fmt("%5s %6s %8s %9s %9s %8s %8s %10s", "LCORE", "BUSY%", "CYC/PKT", "RX pps", "TX pps", "DROP/s", "PUNT/s",
          "FLOWS"));
  for (const auto& r : v.workers)
    add(fmt("%5u %6.1f %8.0f %9s %9s %8s %8s %10llu", r.lcore, r.busy_pct, r.cycles_per_packet, human(r.rx_pps).c_str(),
            human(r.tx_pps).c_str(), human(r.drop_pps).c_str(), human(r.punt_pps).c_str(),
            static_cast<unsigned long long>(r.flows)));
  add("");
  std::string drops = "drops/s:";
  for (const auto& d : v.drops)
    drops += fmt(" %s %s (%llu)", d.reason.c_str(), human(d.per_s).c_str(), static_cast<unsigned long long>(d.total));
  std::string punts = "punts/s:";
  for (const auto& p : v.punts)
    punts += fmt(" %s %s (%llu)", p.reason.c_str(), human(p.per_s).c_str(), static_cast<unsigned long long>(p.total));
  add(v.drops.empty() ? "drops/s: none" : drops);
  add(v.punts.empty() ? "punts/s: none" : punts);
  add("");
  add(fmt("%-16s %-26s %-5s %-6s %8s %8s %7s %8s %12s", "SERVICE", "VIP", "PROTO", "MODE", "PPS", "BPS", "NEW/s",
          "ACTIVE", "PACKETS"));
  for (const auto& r : v.vips) {
    add(fmt("%-16s %-26s %-5s %-6s %8s %8s %7s %8llu %12llu", r.name.c_str(), r.endpoint.c_str(), r.protocol.c_str(),
            r.forwarding.c_str(), human(r.pps).c_str(), human(r.bps).c_str(), human(r.new_flows_ps).c_str(),
            static_cast<unsigned long long>(r.active_flows), static_cast<unsigned long long>(r.packets)));
    for (const auto& b : r.backends)
      add(fmt("  %-42s%-12s %8s %7.1f%% %7s %8llu %12llu", b.endpoint.c_str(), b.state.c_str(), human(b.pps).c_str(),
              b.share_pct, "", static_cast<unsigned long long>(b.active_flows),
              static_cast<unsigned long long>(b.packets)));
  }
  if (v.vips.empty()) add(filter.empty() ? "(no services)" : "(no service matches the filter)");
  if (height > 0 && lines.size() > size_t(height)) {
    lines.resize(size_t(height));
    lines.back() = fit("... more below: enlarge the window or filter with /", w);
  }
  return lines;
}

}  // namespace edgelb::top
