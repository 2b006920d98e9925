// The HAProxy server weight an `endpoint.miscStr` sets ("... weight N ..."), read one way for
// everyone: the validator refuses what this refuses, the model carries what it returns, and
// the fast-path planner gives the same weight to the dataplane that HAProxy gets.
//
// HAProxy's `weight` takes an integer from 0 to 256 (configuration manual, 5.2 "weight"); the
// keyword may appear anywhere among the server options, and a later one overrides an earlier
// one. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace edgelb::cp {

constexpr uint32_t kDefaultServerWeight = 1;  // HAProxy's default
constexpr uint32_t kMaxServerWeight = 256;

struct ServerWeight {
  std::optional<uint32_t> weight;  // the weight given; nullopt when none (or on error)
  std::string error;               // "" unless the value after `weight` is not 0..256
};

// Reads the last `weight <N>` among the whitespace-separated options of `misc`. A value that
// is not a plain decimal integer ("10x", "-1", "") or is above 256 gives an error that says so.
ServerWeight parse_server_weight(const std::string& misc);

}  // namespace edgelb::cp
