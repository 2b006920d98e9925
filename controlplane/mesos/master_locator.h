// Where the leading Mesos master is. Two ways, as Mesos itself offers:
//   zk://host:port[,host:port...]/path   the masters' ZooKeeper group: children named
//                                         json.info_<seq>; the lowest sequence leads; its data
//                                         is the MasterInfo JSON. Other children are skipped.
//   http://host:port[,http://host:port...] a list of masters: the subscriber tries them in
//                                         turn and follows a non-leader's 307 to the leader.
// Used by the subscriber thread; candidates() may block (ZooKeeper reads). The ZooKeeper
// locator watches the group and reports a leader change through changed().
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace edgelb::cp {
class ZkClient;
}

namespace edgelb::mesos {

class MasterLocator {
 public:
  virtual ~MasterLocator() = default;
  // Base URLs ("http://host:port") to try, best first. Empty: no leader known right now.
  // Throws std::runtime_error with context when the source cannot be read.
  virtual std::vector<std::string> candidates() = 0;
  // Becomes true when the leader may have changed since the last candidates() call.
  virtual bool changed() const { return false; }
  // Remembers the master that answered as leader, to try it first next time.
  virtual void leader_found(const std::string& /*base_url*/) {}
  virtual std::string describe() const = 0;
};

// "zk://host:port[,host:port]/path" -> ZooKeeper hosts and the group path (no trailing '/').
// Throws std::invalid_argument.
struct ZkGroupUrl {
  std::string hosts;
  std::string path;
};
ZkGroupUrl parse_zk_url(const std::string& spec);

// "zk://..." or a comma-separated list of http(s) URLs. Throws std::invalid_argument.
std::unique_ptr<MasterLocator> make_master_locator(const std::string& spec, int zk_session_timeout_ms = 10000);

// MasterInfo JSON (as in json.info_ znodes and GET_MASTER) -> "http://ip:port".
// Prefers address.ip, then address.hostname, hostname, then the packed `ip` field.
// Throws std::runtime_error when there is no usable address or port.
std::string master_url_from_info(const nlohmann::json& master_info);

// The leader among ZooKeeper group children: the json.info_ child with the lowest sequence
// number, or empty when there is none.
std::string leading_child(const std::vector<std::string>& children);

// A 307 Location (often protocol-relative, "//host:port/api/v1") -> base URL "scheme://host:port"
// relative to `current` (the URL that answered).
std::string redirect_base(const std::string& location, const std::string& current);

}  // namespace edgelb::mesos
