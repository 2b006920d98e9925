#include "mesos/master_locator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "zk/zk_client.h"

namespace edgelb::mesos {
namespace {

using json = nlohmann::json;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '/')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

std::string host_port(const std::string& host, int64_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

class UrlListLocator : public MasterLocator {
 public:
  explicit UrlListLocator(std::vector<std::string> urls) : urls_(std::move(urls)) {}
  std::vector<std::string> candidates() override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    if (!leader_.empty()) out.push_back(leader_);
    for (const auto& u : urls_)
      if (u != leader_) out.push_back(u);
    return out;
  }
  void leader_found(const std::string& base) override {
    std::lock_guard lock(mu_);
    leader_ = base;
  }
  std::string describe() const override {
    std::string s;
    for (const auto& u : urls_) s += (s.empty() ? "" : ",") + u;
    return s;
  }

 private:
  std::vector<std::string> urls_;
  std::mutex mu_;
  std::string leader_;
};

class ZkLocator : public MasterLocator {
 public:
  ZkLocator(std::string hosts, std::string path, int session_ms)
      : hosts_(std::move(hosts)), path_(std::move(path)), session_ms_(session_ms) {}
  ~ZkLocator() override {
    if (zk_ && watch_ >= 0) zk_->unwatch(watch_);
  }

  std::vector<std::string> candidates() override {
    if (!zk_) {
      cp::ZkOptions o;
      o.hosts = hosts_;
      o.session_timeout = std::chrono::milliseconds(session_ms_);
      o.operation_timeout = std::chrono::milliseconds(3000);
      zk_ = std::make_unique<cp::ZkClient>(o);  // throws when ZooKeeper cannot be reached
      watch_ = zk_->watch_children(path_, [this](const std::optional<std::vector<std::string>>& kids) {
        std::string leader = kids ? leading_child(*kids) : std::string();
        std::lock_guard lock(mu_);
        if (leader != last_child_) changed_ = true;
      });
    }
    std::vector<std::string> kids;
    int rc = zk_->children(path_, &kids);
    if (rc == ZNONODE) return {};
    if (rc != ZOK) throw std::runtime_error("mesos master group " + describe() + ": " + zerror(rc));
    const std::string child = leading_child(kids);
    {
      std::lock_guard lock(mu_);
      last_child_ = child;
      changed_ = false;
    }
    if (child.empty()) return {};
    cp::ZkNode node;
    rc = zk_->get(path_ + "/" + child, &node);
    if (rc == ZNONODE) return {};  // the leader just went away; the watch fires again
    if (rc != ZOK)
      throw std::runtime_error("mesos master group " + describe() + ": reading " + child + ": " + zerror(rc));
    json info = json::parse(node.data, nullptr, false);
    if (info.is_discarded())
      throw std::runtime_error("mesos master group " + describe() + ": " + child + " does not hold MasterInfo JSON");
    try {
      return {master_url_from_info(info)};
    } catch (const std::exception& e) {
      throw std::runtime_error("mesos master group " + describe() + ": " + child + ": " + e.what());
    }
  }
  bool changed() const override { return changed_.load(); }
  std::string describe() const override { return "zk://" + hosts_ + path_; }

 private:
  std::string hosts_, path_;
  int session_ms_;
  std::unique_ptr<cp::ZkClient> zk_;
  int watch_ = -1;
  std::mutex mu_;
  std::string last_child_;
  std::atomic<bool> changed_{false};
};

}  // namespace

std::string leading_child(const std::vector<std::string>& children) {
  static const std::string kPrefix = "json.info_";
  std::string best;
  unsigned long long best_seq = 0;
  for (const auto& c : children) {
    if (c.size() <= kPrefix.size() || c.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const std::string seq = c.substr(kPrefix.size());
    if (!std::all_of(seq.begin(), seq.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) || seq.size() > 19)
      continue;
    const unsigned long long n = std::stoull(seq);
    if (best.empty() || n < best_seq) {
      best = c;
      best_seq = n;
    }
  }
  return best;
}

std::string master_url_from_info(const json& info) {
  if (!info.is_object()) throw std::runtime_error("MasterInfo is not an object");
  const json& address = info.contains("address") ? info["address"] : json();
  auto str = [](const json& j, const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  auto num = [](const json& j, const char* k) -> int64_t {
    return j.is_object() && j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : -1;
  };
  std::string host = str(address, "ip");
  if (host.empty()) host = str(address, "hostname");
  if (host.empty()) host = str(info, "hostname");
  if (host.empty() && num(info, "ip") >= 0) {
    in_addr a;
    a.s_addr = static_cast<uint32_t>(num(info, "ip"));  // network byte order, as Mesos stores it
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    host = buf;
  }
  int64_t port = num(address, "port");
  if (port <= 0) port = num(info, "port");
  if (host.empty()) throw std::runtime_error("MasterInfo has no address");
  if (port <= 0 || port > 65535) throw std::runtime_error("MasterInfo has no valid port");
  return "http://" + host_port(host, port);
}

std::string redirect_base(const std::string& location, const std::string& current) {
  const size_t cur_scheme = current.find("://");
  std::string scheme = cur_scheme == std::string::npos ? "http" : current.substr(0, cur_scheme);
  std::string rest;
  if (location.rfind("//", 0) == 0) {
    rest = location.substr(2);  // protocol-relative: keep the current scheme
  } else if (size_t p = location.find("://"); p != std::string::npos) {
    scheme = location.substr(0, p);
    rest = location.substr(p + 3);
  } else {
    throw std::runtime_error("unusable redirect location \"" + location + "\"");
  }
  const std::string authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) throw std::runtime_error("redirect location \"" + location + "\" has no host");
  return scheme + "://" + authority;
}

ZkGroupUrl parse_zk_url(const std::string& spec) {
  const std::string rest = spec.rfind("zk://", 0) == 0 ? spec.substr(5) : std::string();
  const size_t slash = rest.find('/');
  const std::string path = slash == std::string::npos ? std::string() : trim(rest.substr(slash));
  if (slash == 0 || path.empty())
    throw std::invalid_argument("\"" + spec + "\": expected zk://host:port[,host:port]/path");
  return {rest.substr(0, slash), path};
}

std::unique_ptr<MasterLocator> make_master_locator(const std::string& spec, int zk_session_timeout_ms) {
  if (spec.rfind("zk://", 0) == 0) {
    ZkGroupUrl g = parse_zk_url(spec);
    return std::make_unique<ZkLocator>(std::move(g.hosts), std::move(g.path), zk_session_timeout_ms);
  }
  std::vector<std::string> urls;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string u = trim(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!u.empty()) {
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) u = "http://" + u;
      const size_t api = u.find("/api/v1");
      if (api != std::string::npos) u = u.substr(0, api);
      urls.push_back(u);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (urls.empty()) throw std::invalid_argument("mesos master \"" + spec + "\": no URL given");
  return std::make_unique<UrlListLocator>(std::move(urls));
}

}  // namespace edgelb::mesos
