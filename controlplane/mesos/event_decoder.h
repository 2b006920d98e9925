// Decodes one Mesos v1 operator API event (the JSON of one RecordIO record) into mesos::Event.
// Decoding is all-or-nothing: on any error `out` is left in an unspecified state and the error
// says what and where (JSON path), so the caller can count and skip the record without having
// touched its model. Unknown event types decode successfully as Event::Type::kUnknown.
// Optional fields are read leniently (a wrong type is ignored); fields that identify objects
// (task, framework, agent ids, the event type) are required. Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "mesos/mesos_types.h"

namespace edgelb::mesos {

bool decode_event(std::string_view json_text, Event* out, std::string* error);

// The pieces, for GET_STATE / GET_TASKS responses and tests. Throw std::runtime_error.
ClusterSnapshot decode_state(const nlohmann::json& get_state);
Task decode_task(const nlohmann::json& task);
Agent decode_agent(const nlohmann::json& agent);              // a master Agent ({agent_info, ...})
Framework decode_framework(const nlohmann::json& framework);  // a master Framework ({framework_info, ...})

}  // namespace edgelb::mesos
