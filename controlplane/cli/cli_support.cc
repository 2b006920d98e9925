#include "cli/cli_support.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/proto/edgelb.pb.h"
#include "dataplane/rpc/rpc_error.h"

namespace edgelb::cli {

namespace pb = edgelb::v1;

int exit_code(grpc::StatusCode code) { return rpc::exit_code(code); }

// Prints a failed call: its field paths when the server sent them, its message otherwise.
int report(const grpc::Status& s) {
  if (s.ok()) return 0;
  const rpc::CallError e = rpc::read_error(s);
  pb::ErrorDetails d;
  const bool details = rpc::read_error_detail(s, &d);
  if (!e.violations.empty()) {
    std::string head = e.message.substr(0, e.message.find(": "));
    std::fprintf(stderr, "edgelbctl: %s:\n", head.c_str());
    for (const auto& v : e.violations)
      std::fprintf(stderr, "  %s: %s\n", v.path.empty() ? "(document)" : v.path.c_str(), v.reason.c_str());
  } else {
    std::fprintf(stderr, "edgelbctl: %s\n", e.message.c_str());
  }
  if (details && d.current_version() > 0 && s.error_code() == grpc::ABORTED)
    std::fprintf(stderr, "edgelbctl: the current version is %lld\n", static_cast<long long>(d.current_version()));
  return exit_code(s.error_code());
}

std::string when(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void print_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
}

// A table with columns sized to their content.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

}  // namespace edgelb::cli
