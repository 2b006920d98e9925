// Recovers the Marathon app/pod id and the pod container name from a Mesos task id, for every
// task id format Marathon has used (Marathon's TaskId RAML pattern):
//   legacy           group_app.<uuid>            (also group_app_<uuid>)   -> /group/app
//   resident         group_app.<uuid>.<n>                                  -> /group/app
//   instance         group_app.instance-<uuid>._app   or  .$anon           -> /group/app
//                    group_pod.instance-<uuid>.<container>                 -> /group/pod, <container>
//   with incarnation the same plus .<n>
//   "marathon-" is accepted wherever "instance-" is.
// The app id is the "safe" id with '_' read as '/' (Marathon forbids '_' in path elements).
#pragma once

#include <string>
#include <string_view>

namespace edgelb::mesos {

struct MarathonTaskId {
  std::string app_id;          // "/group/app"; empty when the id is not a Marathon task id
  std::string container_name;  // pods only
};

MarathonTaskId parse_marathon_task_id(std::string_view task_id);

}  // namespace edgelb::mesos
