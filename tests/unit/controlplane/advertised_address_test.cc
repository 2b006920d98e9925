// The address edgelb-apiserver registers in ZooKeeper: what a client dials, never the machine's
// host name when it listens on a specific address (it used to register "<hostname>:<port>"
// while listening on 127.0.0.1 only).
#include <gtest/gtest.h>

#include "api/advertised_address.h"

namespace edgelb::cp {
namespace {

std::string adv(const std::string& advertise, const std::string& listen, int port = 7443) {
  return advertised_address(advertise, listen, port, "node-7.example").text();
}

TEST(AdvertisedAddress, TheListenHostUnlessItIsAWildcard) {
  EXPECT_EQ(adv("", "127.0.0.1:7443"), "127.0.0.1:7443");
  EXPECT_EQ(adv("", "198.18.0.2:0", 40123), "198.18.0.2:40123");
  EXPECT_EQ(adv("", "[2001:db8::2]:7443"), "[2001:db8::2]:7443");
  EXPECT_EQ(adv("", "api.example:7443"), "api.example:7443");
  EXPECT_EQ(adv("", "0.0.0.0:7443"), "node-7.example:7443");
  EXPECT_EQ(adv("", "[::]:7443"), "node-7.example:7443");
  EXPECT_EQ(adv("", ":7443"), "node-7.example:7443");
}

TEST(AdvertisedAddress, AdvertiseWinsAndMayCarryAPort) {
  EXPECT_EQ(adv("lb.example", "0.0.0.0:7443"), "lb.example:7443");
  EXPECT_EQ(adv("198.18.0.9:443", "127.0.0.1:7443"), "198.18.0.9:443");
  EXPECT_EQ(adv("2001:db8::9", "[::]:7443"), "[2001:db8::9]:7443");
  EXPECT_EQ(adv("[2001:db8::9]:8443", "[::]:7443"), "[2001:db8::9]:8443");
  EXPECT_THROW(adv(":443", "0.0.0.0:7443"), std::invalid_argument);
  EXPECT_THROW(adv("lb.example:http", "0.0.0.0:7443"), std::invalid_argument);
  EXPECT_THROW(adv("lb.example:70000", "0.0.0.0:7443"), std::invalid_argument);
  EXPECT_THROW(adv("[2001:db8::9", "0.0.0.0:7443"), std::invalid_argument);
}

}  // namespace
}  // namespace edgelb::cp
