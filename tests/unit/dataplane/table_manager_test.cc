// The single table writer, directly: apply() publishes or keeps serving, apply_state() is
// versioned and idempotent, modify() edits the live state under an expected version, rebuild()
// follows next-hop changes, and the publish hook sees exactly what went live.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "control/table_manager.h"

namespace edgelb {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

ServiceSpec web(const char* backend_mac = "02:00:00:00:02:01") {
  ServiceSpec s;
  s.name = "web";
  s.vip = ip("198.18.0.100");
  s.port = 80;
  s.protocol = 6;
  BackendSpec b;
  b.address = ip("198.18.1.1");
  if (backend_mac) b.mac = MacAddress::parse(backend_mac);
  s.backends.push_back(b);
  return s;
}

TableSpec table(uint64_t version, std::vector<ServiceSpec> services) {
  TableSpec t;
  t.version = version;
  t.services = std::move(services);
  return t;
}

// Next hops the test sets, counting lookups.
struct Resolver : NextHopResolver {
  std::map<std::string, MacAddress> macs;
  mutable int lookups = 0;
  std::optional<MacAddress> next_hop(const IpAddress& d) const override {
    ++lookups;
    auto it = macs.find(d.to_string());
    return it == macs.end() ? std::nullopt : std::optional(it->second);
  }
};

// web80..web83, version 1.
TableSpec four_services() {
  TableSpec t = table(1, {});
  for (uint16_t port = 80; port < 84; ++port) {
    ServiceSpec s = web();
    s.port = port;
    s.name = "web" + std::to_string(port);
    t.services.push_back(s);
  }
  return t;
}

class TableManagerTest : public ::testing::Test {
 protected:
  uint64_t live_version() {
    return tables_.read([](const TableSpec& t, const ServiceSnapshot* s) { return s ? s->version : t.version; });
  }
  SnapshotPublisher publisher_;
  TableManager tables_{ForwardingGlobals{}, publisher_};
};

TEST_F(TableManagerTest, ApplyPublishesOrKeepsServing) {
  std::vector<uint64_t> hooked;
  tables_.set_on_publish([&](const TableSpec& t) { hooked.push_back(t.version); });
  EXPECT_EQ(tables_.apply(table(3, {web()})), FieldErrors{});
  EXPECT_EQ(live_version(), 3u);
  ServiceSpec bad = web();
  bad.port = 0;  // a VIP needs a port
  EXPECT_FALSE(tables_.apply(table(4, {bad})).empty());
  EXPECT_EQ(live_version(), 3u);  // nothing changed
  EXPECT_EQ(publisher_.publishes(), 1u);
  EXPECT_EQ(hooked, std::vector<uint64_t>{3});
  // apply() is the operator's file: an older version still publishes.
  EXPECT_EQ(tables_.apply(table(2, {web()})), FieldErrors{});
  EXPECT_EQ(live_version(), 2u);
}

TEST_F(TableManagerTest, ApplyStateIsVersionedAndIdempotent) {
  EXPECT_EQ(tables_.apply_state(table(5, {web()})).kind, ChangeOutcome::kApplied);
  EXPECT_EQ(tables_.apply_state(table(5, {web()})).kind, ChangeOutcome::kUnchanged);
  EXPECT_EQ(publisher_.publishes(), 1u);
  ChangeOutcome o = tables_.apply_state(table(5, {web("02:00:00:00:02:09")}));
  EXPECT_EQ(o.kind, ChangeOutcome::kStale);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0].path, "version");
  EXPECT_EQ(tables_.apply_state(table(4, {web()})).kind, ChangeOutcome::kStale);
  ServiceSpec bad = web();
  bad.protocol = 1;
  o = tables_.apply_state(table(6, {bad}));
  EXPECT_EQ(o.kind, ChangeOutcome::kInvalid);
  EXPECT_EQ(o.version, 5u);
  o = tables_.apply_state(table(6, {web("02:00:00:00:02:09")}));
  EXPECT_EQ(o.kind, ChangeOutcome::kApplied);
  EXPECT_EQ(o.version, 6u);
  EXPECT_EQ(live_version(), 6u);
}

TEST_F(TableManagerTest, DrainIsPublishedAtOnceAndOutlivesEveryChange) {
  auto draining = [this] {
    return tables_.read([](const TableSpec&, const ServiceSnapshot* s) { return s && s->draining; });
  };
  tables_.set_draining(true);  // before any table: remembered, nothing to publish yet
  EXPECT_EQ(publisher_.publishes(), 0u);
  EXPECT_TRUE(tables_.draining());
  ASSERT_EQ(tables_.apply_state(table(5, {web()})).kind, ChangeOutcome::kApplied);
  EXPECT_TRUE(draining()) << "the first table already drains";
  tables_.set_draining(false);
  EXPECT_EQ(publisher_.publishes(), 2u) << "published at once, with the live spec";
  EXPECT_FALSE(draining());
  EXPECT_EQ(live_version(), 5u) << "a drain is not a table version";
  tables_.set_draining(false);
  EXPECT_EQ(publisher_.publishes(), 2u) << "no change, no publish";
  tables_.set_draining(true);
  // the agent's next state does not undo it
  ASSERT_EQ(tables_.apply_state(table(6, {web("02:00:00:00:02:09")})).kind, ChangeOutcome::kApplied);
  EXPECT_TRUE(draining());
  ASSERT_EQ(tables_
                .modify(0,
                        [](TableSpec& t, bool*) {
                          t.services.clear();
                          return FieldErrors{};
                        })
                .kind,
            ChangeOutcome::kApplied);
  EXPECT_TRUE(draining());
}

TEST_F(TableManagerTest, ModifyEditsTheLiveStateUnderAnExpectedVersion) {
  ASSERT_EQ(tables_.apply_state(table(10, {web()})).kind, ChangeOutcome::kApplied);
  auto set_weight = [](uint32_t w) {
    return [w](TableSpec& t, bool*) {
      t.services[0].backends[0].weight = w;
      return FieldErrors{};
    };
  };
  ChangeOutcome o = tables_.modify(9, set_weight(5));
  EXPECT_EQ(o.kind, ChangeOutcome::kConflict);
  EXPECT_EQ(o.errors[0].path, "expected_version");
  o = tables_.modify(10, set_weight(5));
  EXPECT_EQ(o.kind, ChangeOutcome::kApplied);
  EXPECT_EQ(o.version, 11u);
  EXPECT_EQ(tables_.modify(0, set_weight(5)).kind, ChangeOutcome::kUnchanged);  // any version; same state
  EXPECT_EQ(tables_
                .modify(0,
                        [](TableSpec&, bool* nf) {
                          *nf = true;
                          return FieldErrors{{"name", "no service named x"}};
                        })
                .kind,
            ChangeOutcome::kNotFound);
  o = tables_.modify(0, [](TableSpec&, bool*) { return FieldErrors{{"weight", "too big"}}; });
  EXPECT_EQ(o.kind, ChangeOutcome::kInvalid);
  o = tables_.modify(0, [](TableSpec& t, bool*) {
    t.services[0].port = 0;  // the builder refuses it
    return FieldErrors{};
  });
  EXPECT_EQ(o.kind, ChangeOutcome::kInvalid);
  EXPECT_EQ(live_version(), 11u);
  EXPECT_EQ(tables_.read([](const TableSpec& t, const ServiceSnapshot*) { return t.services[0].backends[0].weight; }),
            5u);
}

TEST_F(TableManagerTest, RebuildFollowsTheResolver) {
  tables_.rebuild();  // before any table: nothing to do
  EXPECT_EQ(publisher_.publishes(), 0u);
  Resolver r;
  tables_.set_resolver(&r);
  ASSERT_EQ(tables_.apply(table(1, {web(nullptr)})), FieldErrors{});  // no MAC: the resolver's
  auto has_next_hop = [&] {
    return tables_.read([](const TableSpec&, const ServiceSnapshot* s) {
      for (const BackendEntry& b : s->backends)
        if (b.ref && b.address == ip("198.18.1.1")) return b.has_next_hop;
      ADD_FAILURE() << "backend 198.18.1.1 is not in the snapshot";
      return false;
    });
  };
  const int lookups = r.lookups;
  EXPECT_GT(lookups, 0);
  EXPECT_FALSE(has_next_hop());
  r.macs["198.18.1.1"] = *MacAddress::parse("02:00:00:00:02:07");
  tables_.rebuild();
  EXPECT_GT(r.lookups, lookups);
  EXPECT_EQ(publisher_.publishes(), 2u);
  EXPECT_TRUE(has_next_hop());
  EXPECT_EQ(live_version(), 1u);  // same table, new snapshot
}

// Writers on several threads (the control service's gRPC threads) while a worker reads: every
// edit is applied exactly once, versions are consecutive, each writer returns only after its
// table replaced the one before, and the last table has every edit.
TEST_F(TableManagerTest, ConcurrentWritersEachGetTheirOwnVersion) {
  ASSERT_EQ(tables_.apply(four_services()), FieldErrors{});
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    SnapshotPublisher::reader_register();
    while (!stop.load(std::memory_order_relaxed)) SnapshotPublisher::reader_quiescent();
    SnapshotPublisher::reader_unregister();
  });
  constexpr uint32_t kEach = 300;
  std::vector<std::vector<uint64_t>> versions(4);
  std::vector<std::thread> writers;
  for (size_t w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (uint32_t i = 1; i <= kEach; ++i) {
        ChangeOutcome o = tables_.modify(0, [&](TableSpec& spec, bool*) {
          spec.services[w].backends[0].weight = i + 1;  // each writer its own service; 1 is live
          return FieldErrors{};
        });
        if (o.kind == ChangeOutcome::kApplied) versions[w].push_back(o.version);
      }
    });
  for (auto& th : writers) th.join();
  stop = true;
  worker.join();
  std::set<uint64_t> all;
  for (const auto& v : versions) {
    EXPECT_EQ(v.size(), kEach);
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 4 * kEach) << "no version handed out twice";
  EXPECT_EQ(*all.begin(), 2u);
  EXPECT_EQ(*all.rbegin(), 1 + 4 * kEach);
  EXPECT_LE(publisher_.publishes(), 1 + 4 * kEach) << "concurrent edits may share a publish";
  EXPECT_EQ(live_version(), 1 + 4 * kEach);
  tables_.read([&](const TableSpec& live, const ServiceSnapshot* snap) {
    for (size_t w = 0; w < 4; ++w) EXPECT_EQ(live.services[w].backends[0].weight, kEach + 1);
    EXPECT_EQ(snap->version, live.version);
    return 0;
  });
}

// Edits queued while the table lock is held are committed as one batch: each is checked
// against the version the ones before it produced, an edit that makes the table invalid fails
// alone, and one table is published for the rest.
TEST_F(TableManagerTest, QueuedEditsCommitTogetherAndABadOneFailsAlone) {
  ASSERT_EQ(tables_.apply(four_services()), FieldErrors{});  // version 1
  auto set = [](size_t service, std::function<void(ServiceSpec&)> f) {
    return [service, f](TableSpec& t, bool*) {
      f(t.services[service]);
      return FieldErrors{};
    };
  };
  std::vector<std::pair<uint64_t, TableManager::Edit>> edits = {
      {0, set(0, [](ServiceSpec& s) { s.backends[0].weight = 7; })},
      {0, set(1, [](ServiceSpec& s) { s.port = 0; })},                // refused by the builder
      {2, set(2, [](ServiceSpec& s) { s.backends[0].weight = 9; })},  // expects the first edit live
  };
  std::vector<ChangeOutcome> outcomes(edits.size());
  std::vector<std::thread> callers;
  const uint64_t publishes_before = publisher_.publishes();
  tables_.read([&](const TableSpec&, const ServiceSnapshot*) {
    for (size_t i = 0; i < edits.size(); ++i) {  // queued one after the other, in this order
      callers.emplace_back([&, i] { outcomes[i] = tables_.modify(edits[i].first, edits[i].second); });
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (tables_.pending_edits() < i + 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return 0;
  });
  for (auto& c : callers) c.join();
  EXPECT_EQ(outcomes[0].kind, ChangeOutcome::kApplied);
  EXPECT_EQ(outcomes[0].version, 2u);
  EXPECT_EQ(outcomes[1].kind, ChangeOutcome::kInvalid);
  ASSERT_FALSE(outcomes[1].errors.empty());
  EXPECT_EQ(outcomes[1].errors[0].path, "services[1].port");
  EXPECT_EQ(outcomes[1].version, 2u);
  EXPECT_EQ(outcomes[2].kind, ChangeOutcome::kApplied);
  EXPECT_EQ(outcomes[2].version, 3u);
  EXPECT_EQ(publisher_.publishes(), publishes_before + 1) << "one table for the whole batch";
  EXPECT_EQ(tables_.pending_edits(), 0u);
  tables_.read([&](const TableSpec& live, const ServiceSnapshot* snap) {
    EXPECT_EQ(live.version, 3u);
    EXPECT_EQ(snap->version, 3u);
    EXPECT_EQ(live.services[0].backends[0].weight, 7u);
    EXPECT_EQ(live.services[1].port, 81);
    EXPECT_EQ(live.services[2].backends[0].weight, 9u);
    return 0;
  });
}

// An edit that throws (out of memory) fails its caller, publishes nothing and leaves the writer
// usable.
TEST_F(TableManagerTest, AnEditThatThrowsFailsAndPublishesNothing) {
  ASSERT_EQ(tables_.apply(four_services()), FieldErrors{});
  const uint64_t publishes = publisher_.publishes();
  ChangeOutcome o =
      tables_.modify(0, [](TableSpec&, bool*) -> FieldErrors { throw std::runtime_error("no memory for it"); });
  EXPECT_EQ(o.kind, ChangeOutcome::kInvalid);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0].path, "table");
  EXPECT_NE(o.errors[0].reason.find("no memory for it"), std::string::npos);
  EXPECT_EQ(publisher_.publishes(), publishes);
  EXPECT_EQ(live_version(), 1u);
  o = tables_.modify(0, [](TableSpec& t, bool*) {
    t.services[0].backends[0].weight = 3;
    return FieldErrors{};
  });
  EXPECT_EQ(o.kind, ChangeOutcome::kApplied);
  EXPECT_EQ(o.version, 2u);
}

}  // namespace
}  // namespace edgelb
