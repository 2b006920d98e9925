#include "kernel/netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edgelb {
namespace {

std::runtime_error nl_error(const std::string& what, int err) {
  return std::runtime_error("netlink " + what + ": " + std::strerror(err));
}

int family_of(const IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }
size_t addr_len(const IpAddress& a) { return a.is_v4() ? 4 : 16; }

bool usable_state(uint16_t state) {
  return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP);
}

// Parses one RTM_NEWNEIGH/RTM_DELNEIGH message; false for anything that is not an IP neighbour.
bool parse_neighbor(const nlmsghdr* nlh, NeighborEvent* ev) {
  if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) return false;
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) return false;
  ev->ifindex = ndm->ndm_ifindex;
  ev->removed = nlh->nlmsg_type == RTM_DELNEIGH || !usable_state(ndm->ndm_state);
  ev->mac.reset();
  ev->address = IpAddress{};
  // mnl_attr_for_each, written out: the macro's void* arithmetic is not valid C++.
  const auto* end = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(ndmsg)));
       mnl_attr_ok(attr, int(end - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    const auto type = mnl_attr_get_type(attr);
    const auto len = mnl_attr_get_payload_len(attr);
    const auto* data = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
    if (type == NDA_DST && len == 4 && ndm->ndm_family == AF_INET) ev->address = IpAddress::v4(data);
    if (type == NDA_DST && len == 16 && ndm->ndm_family == AF_INET6) ev->address = IpAddress::v6(data);
    if (type == NDA_LLADDR && len == 6) {
      MacAddress m;
      std::memcpy(m.bytes.data(), data, 6);
      ev->mac = m;
    }
  }
  if (ev->address.family == IpFamily::kNone) return false;
  if (!ev->mac) ev->removed = true;
  return true;
}

int collect_neighbor(const nlmsghdr* nlh, void* data) {
  NeighborEvent ev;
  if (parse_neighbor(nlh, &ev)) static_cast<std::vector<NeighborEvent>*>(data)->push_back(ev);
  return MNL_CB_OK;
}

}  // namespace

Netlink::Netlink(bool subscribe_neighbors) {
  nl_ = mnl_socket_open(NETLINK_ROUTE);
  if (!nl_ || mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    if (nl_) mnl_socket_close(nl_);
    throw nl_error("open", err);
  }
  if (subscribe_neighbors) {
    events_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!events_ || mnl_socket_bind(events_, RTMGRP_NEIGH, MNL_SOCKET_AUTOPID) < 0) {
      const int err = errno;
      if (events_) mnl_socket_close(events_);
      mnl_socket_close(nl_);
      throw nl_error("subscribe to neighbour events", err);
    }
  }
}

Netlink::~Netlink() {
  if (events_) mnl_socket_close(events_);
  if (nl_) mnl_socket_close(nl_);
}

int Netlink::ifindex(const std::string& name) { return int(if_nametoindex(name.c_str())); }

void Netlink::request(std::vector<char>& buf, const std::string& what, int tolerated_errno) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq_++;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) throw nl_error(what, errno);
  std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
  const unsigned portid = mnl_socket_get_portid(nl_);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, rx.data(), rx.size());
    if (n < 0) throw nl_error(what, errno);
    const int r = mnl_cb_run(rx.data(), size_t(n), nlh->nlmsg_seq, portid, nullptr, nullptr);
    if (r == MNL_CB_ERROR) {
      if (tolerated_errno && errno == tolerated_errno) return;
      throw nl_error(what, errno);
    }
    if (r == MNL_CB_STOP) return;
  }
}

void Netlink::set_link_up(int ifindex) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = ifindex;
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  request(buf, "set link up");
}

namespace {
void put_address(nlmsghdr* nlh, int type, int ifindex, const IpPrefix& p) {
  nlh->nlmsg_type = uint16_t(type);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = uint8_t(family_of(p.address));
  ifa->ifa_prefixlen = p.length;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = uint32_t(ifindex);
  ifa->ifa_flags = IFA_F_NODAD;
  mnl_attr_put(nlh, IFA_LOCAL, addr_len(p.address), p.address.bytes.data());
  mnl_attr_put(nlh, IFA_ADDRESS, addr_len(p.address), p.address.bytes.data());
  mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
}
}  // namespace

void Netlink::add_address(int ifindex, const IpPrefix& p) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  put_address(nlh, RTM_NEWADDR, ifindex, p);
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  request(buf, "add address " + p.to_string());
}

void Netlink::delete_address(int ifindex, const IpPrefix& p) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  put_address(nlh, RTM_DELADDR, ifindex, p);
  request(buf, "delete address " + p.to_string(), EADDRNOTAVAIL);  // already gone is fine
}

std::vector<NeighborEvent> Netlink::dump_neighbors(int ifindex) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETNEIGH;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq_++;
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_UNSPEC;
  ndm->ndm_ifindex = ifindex;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) throw nl_error("dump neighbours", errno);
  std::vector<NeighborEvent> out;
  std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
  const unsigned portid = mnl_socket_get_portid(nl_);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, rx.data(), rx.size());
    if (n < 0) throw nl_error("dump neighbours", errno);
    const int r = mnl_cb_run(rx.data(), size_t(n), nlh->nlmsg_seq, portid, collect_neighbor, &out);
    if (r == MNL_CB_ERROR) throw nl_error("dump neighbours", errno);
    if (r == MNL_CB_STOP) break;
  }
  std::vector<NeighborEvent> filtered;
  for (auto& e : out)
    if (ifindex == 0 || e.ifindex == ifindex) filtered.push_back(e);
  return filtered;
}

void Netlink::resolve_neighbor(int ifindex, const IpAddress& address) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWNEIGH;
  nlh->nlmsg_flags = NLM_F_CREATE;
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = uint8_t(family_of(address));
  ndm->ndm_ifindex = ifindex;
  ndm->ndm_state = NUD_NONE;
  ndm->ndm_flags = NTF_USE;
  mnl_attr_put(nlh, NDA_DST, addr_len(address), address.bytes.data());
  request(buf, "resolve neighbour " + address.to_string());
}

std::vector<NeighborEvent> Netlink::poll_neighbors(bool* lost) {
  *lost = false;
  std::vector<NeighborEvent> out;
  if (!events_) return out;
  std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(events_, rx.data(), rx.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {  // notifications lost: the caller re-dumps
        *lost = true;
        continue;
      }
      throw nl_error("read neighbour events", errno);
    }
    mnl_cb_run(rx.data(), size_t(n), 0, 0, collect_neighbor, &out);
  }
  return out;
}

}  // namespace edgelb
