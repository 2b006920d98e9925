// Finding the leading master: ZooKeeper group children, MasterInfo, 307 redirects, URL lists.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/master_locator.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

TEST(MasterLocator, GroupChildrenInfoAndRedirects) {
  EXPECT_EQ(
      leading_child({"log_replicas", "json.info_0000000012", "info_0000000001", "json.info_0000000007", "json.info_x"}),
      "json.info_0000000007");
  EXPECT_EQ(leading_child({"log_replicas"}), "");
  EXPECT_EQ(master_url_from_info(R"({"address":{"hostname":"m1","ip":"198.18.0.2","port":5050}})"_json),
            "http://198.18.0.2:5050");
  EXPECT_EQ(master_url_from_info(R"({"hostname":"m1","port":5050})"_json), "http://m1:5050");
  EXPECT_EQ(master_url_from_info(R"({"ip":16842879,"port":34626})"_json), "http://127.0.1.1:34626");
  EXPECT_EQ(master_url_from_info(R"({"address":{"ip":"2001:db8::2","port":5050}})"_json), "http://[2001:db8::2]:5050");
  EXPECT_THROW(master_url_from_info(R"({"hostname":"m1"})"_json), std::runtime_error);
  EXPECT_EQ(redirect_base("//198.18.0.3:5050/api/v1", "http://198.18.0.2:5050"), "http://198.18.0.3:5050");
  EXPECT_EQ(redirect_base("https://m3:5050/api/v1", "http://m2:5050"), "https://m3:5050");
  EXPECT_THROW(redirect_base("/relative", "http://m2:5050"), std::runtime_error);
  EXPECT_EQ(make_master_locator("198.18.0.2:5050, http://198.18.0.3:5050/api/v1")->describe(),
            "http://198.18.0.2:5050,http://198.18.0.3:5050");
  EXPECT_THROW(make_master_locator("zk://127.0.0.1:2181"), std::invalid_argument);
}

}  // namespace
}  // namespace edgelb::mesos
