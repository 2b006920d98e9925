// Marathon app and pod ids recovered from every task id format Marathon has used.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/marathon_id.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

TEST(MarathonTaskId, EveryFormat) {
  struct Case {
    const char* id;
    const char* app;
    const char* container;
  } cases[] = {
      {"docker-on-bridge.0ef76549-2630-11e8-af52-70b3d5800001", "/docker-on-bridge", ""},
      {"group_sub_app.0ef76549-2630-11e8-af52-70b3d5800001", "/group/sub/app", ""},
      {"my.dotted.app.0ef76549-2630-11e8-af52-70b3d5800001", "/my.dotted.app", ""},
      {"legacy_0ef76549", "/legacy", ""},
      {"resident.0ef76549-2630-11e8-af52-70b3d5800001.3", "/resident", ""},
      {"web.instance-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e._app", "/web", ""},
      {"web.instance-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e._app.7", "/web", ""},
      {"web.marathon-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e.$anon.2", "/web", ""},
      {"pod-on-host.instance-ea1231bf-2930-11e8-96bf-70b3d5800001.app", "/pod-on-host", "app"},
      {"prod_pods_db.instance-ea1231bf-2930-11e8-96bf-70b3d5800001.sidecar.12", "/prod/pods/db", "sidecar"},
      {"nomarathon", "", ""},
      {".leading", "", ""},
      {"trailing.", "", ""},
  };
  for (const auto& c : cases) {
    MarathonTaskId id = parse_marathon_task_id(c.id);
    EXPECT_EQ(id.app_id, c.app) << c.id;
    EXPECT_EQ(id.container_name, c.container) << c.id;
  }
}

}  // namespace
}  // namespace edgelb::mesos
