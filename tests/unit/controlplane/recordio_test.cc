// RecordIO framing (the SUBSCRIBE body) at every chunk boundary of the recorded stream, and
// framing errors that stick and say where.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/recordio.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

TEST(RecordIo, EverySplitPositionOfTheRecordedStream) {
  const std::vector<std::string> records = stream_lines();
  ASSERT_EQ(records.size(), 38u);
  const std::string bytes = framed(records);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    RecordIoDecoder d;
    size_t n = 0;
    bool same = true;
    auto on = [&](std::string_view r) { same = same && n < records.size() && r == records[n++]; };
    ASSERT_EQ(d.feed(std::string_view(bytes).substr(0, cut), on), RecordIoDecoder::Status::kOk);
    ASSERT_EQ(d.feed(std::string_view(bytes).substr(cut), on), RecordIoDecoder::Status::kOk);
    ASSERT_TRUE(same && n == records.size() && d.at_boundary()) << "split at " << cut;
  }
  // One byte at a time.
  RecordIoDecoder d;
  size_t n = 0;
  for (char c : bytes)
    ASSERT_EQ(d.feed(std::string_view(&c, 1), [&](std::string_view r) { EXPECT_EQ(r, records[n++]); }),
              RecordIoDecoder::Status::kOk);
  EXPECT_EQ(n, records.size());
}

TEST(RecordIo, EveryPairOfSplitPositionsOfAShortStream) {
  const std::vector<std::string> records = {R"({"type":"HEARTBEAT"})", "", "x", std::string(300, 'y')};
  const std::string bytes = framed(records);
  for (size_t a = 0; a <= bytes.size(); ++a)
    for (size_t b = a; b <= bytes.size(); ++b) {
      RecordIoDecoder d;
      std::vector<std::string> got;
      auto on = [&](std::string_view r) { got.emplace_back(r); };
      d.feed(std::string_view(bytes).substr(0, a), on);
      d.feed(std::string_view(bytes).substr(a, b - a), on);
      d.feed(std::string_view(bytes).substr(b), on);
      ASSERT_EQ(got, records) << a << "," << b;
    }
}

TEST(RecordIo, FramingErrorsAreStickyAndSayWhere) {
  RecordIoDecoder d;
  std::vector<std::string> got;
  auto on = [&](std::string_view r) { got.emplace_back(r); };
  EXPECT_EQ(d.feed("2\n{}1x\n", on), RecordIoDecoder::Status::kBadLength);
  EXPECT_EQ(got, std::vector<std::string>{"{}"});
  EXPECT_NE(d.error().find("unexpected byte 0x78"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("offset 5"), std::string::npos) << d.error();
  EXPECT_EQ(d.feed("2\n{}", on), RecordIoDecoder::Status::kBadLength);  // sticky
  EXPECT_EQ(got.size(), 1u);

  RecordIoDecoder empty;
  EXPECT_EQ(empty.feed("\n", on), RecordIoDecoder::Status::kBadLength);
  RecordIoDecoder huge(1000);
  EXPECT_EQ(huge.feed("1001\n", on), RecordIoDecoder::Status::kTooLarge);
  RecordIoDecoder digits;
  EXPECT_EQ(digits.feed("000000000000000000001\n", on), RecordIoDecoder::Status::kBadLength);
  RecordIoDecoder partial;
  EXPECT_EQ(partial.feed("10\n{\"a\"", on), RecordIoDecoder::Status::kOk);
  EXPECT_FALSE(partial.at_boundary());
  EXPECT_EQ(partial.pending_bytes(), 4u);
}

}  // namespace
}  // namespace edgelb::mesos
