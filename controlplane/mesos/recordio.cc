#include "mesos/recordio.h"

namespace edgelb::mesos {

RecordIoDecoder::Status RecordIoDecoder::fail(Status s, const std::string& why) {
  status_ = s;
  error_ = why + " at stream offset " + std::to_string(offset_) + " (after " + std::to_string(records_) + " records)";
  return s;
}

std::string recordio_frame(std::string_view record) {
  std::string out = std::to_string(record.size());
  out.push_back('\n');
  out.append(record);
  return out;
}

}  // namespace edgelb::mesos
