#include "agent/claims.h"

#include <algorithm>
#include <cstdlib>

namespace edgelb::cp {

std::string instance_node_name(int slot) { return "instance-" + std::to_string(slot); }

InstanceClaim::InstanceClaim(ZkClient& zk, std::string pool_path, NodeIdentity node)
    : zk_(zk), pool_path_(std::move(pool_path)), node_(std::move(node)) {}

InstanceClaim::~InstanceClaim() { release(); }

int InstanceClaim::create(int slot) {
  nlohmann::json data = registration_;
  data["host"] = node_.name;
  data["attributes"] = node_.attributes;
  data["slot"] = slot;
  int rc = zk_.create(path(slot), data.dump(), ZOO_EPHEMERAL);
  if (zk_outcome_unknown(rc)) {
    ZkStat st;
    if (zk_.exists(path(slot), &st) == ZOK && st.ephemeral_owner == zk_.session_id()) rc = ZOK;
  }
  if (rc == ZOK && config_) write_config(slot);
  return rc;
}

bool InstanceClaim::write_config(int slot) {
  const auto& [text, hash] = *config_;
  nlohmann::json data = {{"configHash", hash}, {"bytes", text.size()}};
  if (text.size() <= kMaxRunningConfigBytes) data["config"] = text;
  const std::string node = running_path(slot), value = data.dump();
  int rc = zk_.set(node, value, -1);
  if (rc != ZNONODE) return rc == ZOK;
  rc = zk_.create(node, value, ZOO_EPHEMERAL);
  if (rc == ZNONODE && zk_.create(pool_path_ + "/running", "") != ZNONODE)  // a pool from before `running`
    rc = zk_.create(node, value, ZOO_EPHEMERAL);
  return rc == ZOK;
}

bool InstanceClaim::publish_config(const std::string& config, const std::string& hash) {
  config_ = std::make_pair(config, hash);
  return slot_ && write_config(*slot_);
}

InstanceClaim::Outcome InstanceClaim::reconcile(int64_t count, const std::string& role,
                                                const std::vector<PlacementConstraint>& constraints) {
  Outcome out;
  const std::string dir = pool_path_ + "/instances";
  std::vector<std::string> kids;
  int rc = zk_.children(dir, &kids);
  if (rc == ZNONODE) {  // the pool is gone
    release();
    out.why = "the pool is gone";
    return out;
  }
  if (rc != ZOK) {
    out.slot = slot_;
    out.zk_unavailable = true;
    out.why = std::string("ZooKeeper: ") + zerror(rc);
    return out;
  }
  std::sort(kids.begin(), kids.end());
  std::vector<std::string> paths;
  for (const auto& k : kids) paths.push_back(dir + "/" + k);
  std::vector<std::optional<ZkNode>> nodes;
  if (zk_.get_many(paths, &nodes) != ZOK) {
    out.slot = slot_;
    out.zk_unavailable = true;
    out.why = "ZooKeeper: reading instances failed";
    return out;
  }
  // Who holds the other slots (their registrations say which node they are).
  std::vector<std::pair<int, NodeIdentity>> others;  // (slot, node)
  bool ours_present = false, ours_is_ours = false;
  for (size_t i = 0; i < kids.size(); ++i) {
    if (!nodes[i]) continue;
    if (slot_ && kids[i] == instance_node_name(*slot_)) {
      ours_present = true;
      ours_is_ours = nodes[i]->stat.ephemeral_owner == zk_.session_id();
      if (ours_is_ours) continue;
    }
    auto d = nlohmann::json::parse(nodes[i]->data, nullptr, false);
    NodeIdentity o;
    if (d.is_object()) {
      o.name = d.value("host", "");
      if (d.contains("attributes") && d["attributes"].is_object())
        for (auto it = d["attributes"].begin(); it != d["attributes"].end(); ++it)
          if (it.value().is_string()) o.attributes[it.key()] = it.value().get<std::string>();
    }
    int k = -1;
    if (kids[i].rfind("instance-", 0) == 0) k = std::atoi(kids[i].c_str() + 9);
    others.emplace_back(k, std::move(o));
  }
  // A held slot yields only to lower slots (of two simultaneous claims the later one goes).
  std::vector<NodeIdentity> against;
  for (const auto& [k, o] : others)
    if (!slot_ || k < *slot_) against.push_back(o);
  std::string why;
  const bool admitted = placement_admits(node_, role, constraints, against, &why);
  if (slot_) {
    if (ours_present && !ours_is_ours) {
      slot_.reset();  // our session expired and another agent took the slot
      why = "lost the claim: another agent took the slot while this node's session was gone";
    } else if (*slot_ >= count || !admitted) {
      release();
      if (admitted) why = "count shrank";
    } else if (!ours_present) {
      int crc = create(*slot_);  // a new session: take it again
      if (crc == ZNODEEXISTS) {
        slot_.reset();
        why = "lost the claim: the slot was taken";
      } else if (crc != ZOK) {
        out.zk_unavailable = true;
        out.slot = slot_;
        out.why = std::string("ZooKeeper: ") + zerror(crc);
        return out;
      }
    }
  }
  if (!slot_ && why.empty()) {
    std::vector<NodeIdentity> all;
    for (const auto& [k, o] : others) all.push_back(o);
    if (!placement_admits(node_, role, constraints, all, &why)) {
      out.why = why;
      return out;
    }
    for (int k = 0; k < count; ++k) {
      if (std::find(kids.begin(), kids.end(), instance_node_name(k)) != kids.end()) continue;
      int crc = create(k);
      if (crc == ZOK) {
        slot_ = k;
        break;
      }
      if (crc != ZNODEEXISTS) {
        out.zk_unavailable = true;
        out.why = std::string("ZooKeeper: ") + zerror(crc);
        return out;
      }
    }
    if (!slot_) {
      why = "all " + std::to_string(count) + " instance slots are taken";
      for (const auto& [k, o] : others)
        if (k >= 0 && k < count && o.name == node_.name) {
          out.held_by_previous_self = true;
          why = instance_node_name(k) + " is still held by this node's previous session (until it expires)";
        }
    }
  }
  out.slot = slot_;
  if (!slot_) out.why = why;
  return out;
}

void InstanceClaim::publish(nlohmann::json registration) {
  registration_ = std::move(registration);
  if (!slot_) return;
  nlohmann::json data = registration_;
  data["host"] = node_.name;
  data["attributes"] = node_.attributes;
  data["slot"] = *slot_;
  zk_.set(path(*slot_), data.dump(), -1);
}

void InstanceClaim::release() {
  if (!slot_) return;
  ZkStat st;
  if (zk_.exists(running_path(*slot_), &st) == ZOK && st.ephemeral_owner == zk_.session_id())
    zk_.remove(running_path(*slot_), -1);
  if (zk_.exists(path(*slot_), &st) == ZOK && st.ephemeral_owner == zk_.session_id()) zk_.remove(path(*slot_), -1);
  slot_.reset();
}

}  // namespace edgelb::cp
