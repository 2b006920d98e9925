// RecordIO framing of the Mesos v1 streaming API: each record is "<decimal length>\n<bytes>".
// The decoder takes the HTTP body in whatever pieces the transport hands it (any chunk
// boundary, including inside the length prefix) and yields whole records.
//
// A framing error (a length that is not decimal, empty, longer than 20 digits or larger than
// max_record) is sticky: the stream cannot be resynchronised, so the caller must drop the
// connection and resubscribe. A stream that ends inside a record is reported by finish().
// Not thread-safe; one decoder per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgelb::mesos {

class RecordIoDecoder {
 public:
  enum class Status { kOk, kBadLength, kTooLarge };

  explicit RecordIoDecoder(size_t max_record = 64u << 20) : max_record_(max_record) {}

  // Feeds bytes; calls on_record(std::string_view) for each complete record, in order.
  // Returns kOk, or the framing error that stopped decoding (nothing more is yielded).
  template <typename F>
  Status feed(std::string_view data, F&& on_record);

  // True when the stream ended exactly at a record boundary.
  bool at_boundary() const { return status_ == Status::kOk && !in_body_ && digits_ == 0; }
  Status status() const { return status_; }
  // Human-readable context for the last error: where in the stream and what was seen.
  const std::string& error() const { return error_; }
  uint64_t offset() const { return offset_; }  // bytes consumed so far
  uint64_t records() const { return records_; }
  size_t pending_bytes() const { return in_body_ ? body_.size() : digits_; }

 private:
  Status fail(Status s, const std::string& why);

  size_t max_record_;
  Status status_ = Status::kOk;
  bool in_body_ = false;
  uint64_t length_ = 0;
  unsigned digits_ = 0;
  std::string body_;
  std::string error_;
  uint64_t offset_ = 0;
  uint64_t records_ = 0;
};

template <typename F>
RecordIoDecoder::Status RecordIoDecoder::feed(std::string_view data, F&& on_record) {
  size_t i = 0;
  while (status_ == Status::kOk && i < data.size()) {
    if (!in_body_) {
      const char c = data[i];
      if (c == '\n') {
        if (digits_ == 0) return fail(Status::kBadLength, "empty record length");
        ++i;
        ++offset_;
        if (length_ == 0) {  // an empty record: complete as soon as its length ends
          ++records_;
          digits_ = 0;
          on_record(std::string_view());
        } else {
          in_body_ = true;
          body_.clear();
        }
        continue;
      } else if (c >= '0' && c <= '9') {
        if (++digits_ > 20) return fail(Status::kBadLength, "record length has more than 20 digits");
        length_ = length_ * 10 + static_cast<uint64_t>(c - '0');
        if (length_ > max_record_)
          return fail(Status::kTooLarge, "record length " + std::to_string(length_) + "+ exceeds the limit of " +
                                             std::to_string(max_record_) + " bytes");
        ++i;
      } else {
        return fail(Status::kBadLength, std::string("unexpected byte 0x") + "0123456789abcdef"[(c >> 4) & 15] +
                                            "0123456789abcdef"[c & 15] + " in a record length");
      }
      ++offset_;
      continue;
    }
    const size_t want = length_ - body_.size();
    const size_t take = std::min(want, data.size() - i);
    if (body_.empty() && take == length_) {
      // The whole record is in this piece: hand it out without copying.
      ++records_;
      offset_ += take;
      in_body_ = false;
      length_ = 0;
      digits_ = 0;
      on_record(data.substr(i, take));
      i += take;
      continue;
    }
    body_.append(data.data() + i, take);
    i += take;
    offset_ += take;
    if (body_.size() == length_) {
      ++records_;
      in_body_ = false;
      length_ = 0;
      digits_ = 0;
      on_record(std::string_view(body_));
    }
  }
  return status_;
}

// Frames one record: "<len>\n<record>".
std::string recordio_frame(std::string_view record);

}  // namespace edgelb::mesos
