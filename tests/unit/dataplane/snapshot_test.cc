#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "service/snapshot_builder.h"
#include "service/snapshot_publisher.h"

namespace edgelb {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

ForwardingGlobals globals() {
  ForwardingGlobals g;
  g.maglev_size = 251;
  g.encap_source_v4 = IpPrefix::parse("198.18.254.0/24");
  g.encap_source_v6 = IpPrefix::parse("2001:db8:ffff::/64");
  g.removed_backend_grace_ms = 0;
  return g;
}

ServiceSpec web(size_t n_backends, ForwardingMode mode = ForwardingMode::kDsr) {
  ServiceSpec s;
  s.name = "web";
  s.vip = ip("198.18.1.10");
  s.port = 80;
  s.protocol = 6;
  s.mode = mode;
  for (size_t i = 0; i < n_backends; ++i) {
    BackendSpec b;
    b.address = ip(("198.18.2." + std::to_string(i + 1)).c_str());
    b.mac = MacAddress::parse("02:00:00:00:02:01");
    s.backends.push_back(b);
  }
  return s;
}

TEST(SnapshotBuilder, BuildsAndFinds) {
  SnapshotBuilder b(globals());
  TableSpec spec{7, {web(3)}};
  auto r = b.build(spec);
  ASSERT_TRUE(r.errors.empty());
  const ServiceSnapshot& s = *r.snapshot;
  EXPECT_EQ(s.version, 7u);
  uint8_t vip[16] = {198, 18, 1, 10};
  const ServiceEntry* e = s.find(vip, 4, 80, 6);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->backend_refs.size(), 3u);
  EXPECT_EQ(s.find(vip, 4, 81, 6), nullptr);
  EXPECT_EQ(s.find(vip, 4, 80, 17), nullptr);
  EXPECT_TRUE(s.is_vip_address(vip, 4));
  uint8_t other[16] = {198, 18, 1, 11};
  EXPECT_FALSE(s.is_vip_address(other, 4));
  for (uint32_t ref : e->backend_refs) EXPECT_EQ(s.backend(ref).ref, ref);
}

// Answers for one address only, and records what a build asked for.
class FakeResolver : public NextHopResolver {
 public:
  std::optional<MacAddress> next_hop(const IpAddress& d) const override {
    asked.push_back(d.to_string());
    if (d == ip("198.18.2.2")) return MacAddress::parse("02:00:00:00:aa:02");
    return std::nullopt;
  }
  void begin_build() const override { asked.clear(); }
  mutable std::vector<std::string> asked;
};

TEST(SnapshotBuilder, NextHopsFromResolverWhenNoMacConfigured) {
  ServiceSpec s = web(3);
  s.backends[1].mac.reset();
  s.backends[2].mac.reset();
  SnapshotBuilder b(globals());
  FakeResolver res;
  b.set_resolver(&res);
  auto r = b.build(TableSpec{1, {s}});
  ASSERT_TRUE(r.errors.empty());
  const auto& e = r.snapshot->services[0];
  const BackendEntry& configured = r.snapshot->backend(e.backend_refs[0]);
  const BackendEntry& resolved = r.snapshot->backend(e.backend_refs[1]);
  const BackendEntry& unknown = r.snapshot->backend(e.backend_refs[2]);
  EXPECT_EQ(configured.next_hop.to_string(), "02:00:00:00:02:01") << "a configured MAC wins";
  EXPECT_TRUE(resolved.has_next_hop);
  EXPECT_EQ(resolved.next_hop.to_string(), "02:00:00:00:aa:02");
  EXPECT_FALSE(unknown.has_next_hop) << "unknown stays unknown (counted as no_next_hop), never a zero MAC";
  EXPECT_EQ(res.asked, (std::vector<std::string>{"198.18.2.2", "198.18.2.3"}));
}

TEST(SnapshotBuilder, LocalAddressesAndVipsAreBothLocal) {
  ForwardingGlobals g = globals();
  g.local_addresses = {ip("198.18.0.2")};
  SnapshotBuilder b(g);
  auto r = b.build(TableSpec{1, {web(1)}});
  ASSERT_TRUE(r.errors.empty());
  uint8_t host[16] = {198, 18, 0, 2}, vip[16] = {198, 18, 1, 10}, other[16] = {198, 18, 0, 3};
  EXPECT_EQ(r.snapshot->address_kind(host, 4), ServiceSnapshot::kHostAddress);
  EXPECT_EQ(r.snapshot->address_kind(vip, 4), ServiceSnapshot::kVipAddress);
  EXPECT_EQ(r.snapshot->address_kind(other, 4), 0);
  EXPECT_EQ(r.snapshot->address_kind(host, 6), 0) << "family is part of the key";
}

TEST(SnapshotBuilder, RemovedBackendRetiresAsDrainThenComesBackWithSameRef) {
  ForwardingGlobals g = globals();
  g.removed_backend_grace_ms = 3'600'000;
  SnapshotBuilder b(g);
  auto r1 = b.build({1, {web(3)}});
  const uint32_t gone = r1.snapshot->services[0].backend_refs[2];
  auto r2 = b.build({2, {web(2)}});
  const BackendEntry& retired = r2.snapshot->backend(gone);
  EXPECT_EQ(retired.ref, gone) << "existing flows still resolve";
  EXPECT_EQ(retired.state, BackendState::kDrain);
  EXPECT_EQ(retired.address.to_string(), "198.18.2.3");
  auto s = web(2);  // a new backend must not take the retired slot
  BackendSpec nb = s.backends[0];
  nb.address = ip("198.18.2.9");
  s.backends.push_back(nb);
  auto r3 = b.build({3, {s}});
  EXPECT_NE(backend_slot(r3.snapshot->services[0].backend_refs[2]), backend_slot(gone));
  EXPECT_EQ(r3.snapshot->backend(gone).ref, gone);
  auto r4 = b.build({4, {web(3)}});  // re-added in time: same reference
  EXPECT_EQ(r4.snapshot->services[0].backend_refs[2], gone);
  EXPECT_EQ(r4.snapshot->backend(gone).state, BackendState::kUp);
}

TEST(SnapshotBuilder, StableRefsAcrossBuildsAndNewGenerationOnReuse) {
  SnapshotBuilder b(globals());
  auto r1 = b.build({1, {web(3)}});
  auto refs1 = r1.snapshot->services[0].backend_refs;
  auto r2 = b.build({2, {web(3)}});
  EXPECT_EQ(r2.snapshot->services[0].backend_refs, refs1);
  EXPECT_EQ(b.last_maglev_builds(), 0u) << "unchanged service reuses its Maglev table";
  EXPECT_EQ(r2.snapshot->services[0].maglev, r1.snapshot->services[0].maglev);
  // Remove backend 3, add backend 4: it takes the freed slot with a new generation.
  auto s = web(2);
  BackendSpec nb = s.backends[0];
  nb.address = ip("198.18.2.4");
  s.backends.push_back(nb);
  auto r3 = b.build({3, {s}});
  auto refs3 = r3.snapshot->services[0].backend_refs;
  EXPECT_EQ(refs3[0], refs1[0]);
  EXPECT_EQ(refs3[1], refs1[1]);
  EXPECT_EQ(backend_slot(refs3[2]), backend_slot(refs1[2]));
  EXPECT_NE(refs3[2], refs1[2]);
  EXPECT_NE(r3.snapshot->backend(refs1[2]).ref, refs1[2]) << "a stale reference is detectable";
  EXPECT_EQ(b.last_maglev_builds(), 1u);
}

TEST(SnapshotBuilder, DrainAndDownLeaveMaglev) {
  SnapshotBuilder b(globals());
  auto s = web(3);
  s.backends[1].state = BackendState::kDrain;
  s.backends[2].state = BackendState::kDown;
  auto r = b.build({1, {s}});
  for (uint16_t e : r.snapshot->services[0].maglev->entries()) EXPECT_EQ(e, 0);
}

TEST(SnapshotBuilder, RejectsWithPathsAndKeepsState) {
  SnapshotBuilder b(globals());
  auto good = b.build({1, {web(2)}});
  ASSERT_TRUE(good.errors.empty());
  auto bad = web(2);
  bad.port = 0;
  bad.protocol = 1;
  bad.backends[0].address = ip("2001:db8::5");  // DSR family mismatch
  bad.backends[1].port = 8080;                  // DSR port change
  bad.backends.push_back(bad.backends[1]);      // duplicate
  auto dup = web(1);
  auto r = b.build({2, {bad, dup, dup}});
  EXPECT_EQ(r.snapshot, nullptr);
  std::set<std::string> paths;
  for (auto& e : r.errors) paths.insert(e.path);
  EXPECT_TRUE(paths.count("services[0].port"));
  EXPECT_TRUE(paths.count("services[0].protocol"));
  EXPECT_TRUE(paths.count("services[0].backends[0].address"));
  EXPECT_TRUE(paths.count("services[0].backends[1].port"));
  EXPECT_TRUE(paths.count("services[0].backends[2]"));
  EXPECT_TRUE(paths.count("services[2]")) << "duplicate VIP";
  // A later good build still reuses the original slots: the failed build changed nothing.
  auto again = b.build({3, {web(2)}});
  EXPECT_EQ(again.snapshot->services[0].backend_refs, good.snapshot->services[0].backend_refs);
}

TEST(SnapshotBuilder, TunnelNeedsSourcePrefixAndLimits) {
  ForwardingGlobals g = globals();
  g.encap_source_v6.reset();
  g.max_services = 1;
  SnapshotBuilder b(g);
  auto s = web(1, ForwardingMode::kIpip);
  s.backends[0].address = ip("2001:db8::7");
  auto t = web(1);
  t.port = 81;
  auto r = b.build({1, {s, t}});
  std::set<std::string> paths;
  for (auto& e : r.errors) paths.insert(e.path);
  EXPECT_TRUE(paths.count("services[0].backends[0].address"));
  EXPECT_TRUE(paths.count("services"));
}

TEST(SnapshotBuilder, NonPrimeTableSize) {
  SnapshotBuilder b(globals());
  auto s = web(1);
  s.maglev_size = 1000;
  auto r = b.build({1, {s}});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "services[0].maglev_table_size");
}

// A random history of specs (services appearing, changing and leaving; backends added,
// removed, re-added, reweighted, drained, with and without configured MACs; invalid specs in
// between) against what every build must hold whatever was reused: each Maglev table equals
// a fresh build of the spec's inputs, each backend entry says what the spec says, a backend
// that stays keeps its reference, references never share a slot, and validation finds exactly
// what a builder that never saw the history finds.
TEST(SnapshotBuilder, IncrementalBuildsMatchTheSpecWhateverWasReused) {
  for (uint32_t grace_ms : {0u, 3'600'000u}) {
    ForwardingGlobals g = globals();
    g.removed_backend_grace_ms = grace_ms;
    SnapshotBuilder b(g);
    FakeResolver res;
    b.set_resolver(&res);
    std::mt19937 rng(7 + grace_ms);
    auto pick = [&](uint32_t n) { return uint32_t(rng() % n); };
    std::vector<ServiceSpec> services;
    std::map<std::string, uint32_t> refs_before;  // "<port>/<address>" -> reference
    size_t maglev_reused = 0, invalid = 0;
    for (uint64_t version = 1; version <= 300; ++version) {
      // Mutate one or two services (or add/remove one).
      for (uint32_t k = 1 + pick(2); k > 0; --k) {
        const uint32_t what = pick(10);
        if (services.empty() || (what == 0 && services.size() < 6)) {
          ServiceSpec s = web(1 + pick(4));
          s.port = uint16_t(80 + pick(8));
          s.name = "svc" + std::to_string(s.port);
          bool taken = false;
          for (const auto& o : services) taken = taken || o.port == s.port;
          if (!taken) services.push_back(s);
          continue;
        }
        ServiceSpec& s = services[pick(uint32_t(services.size()))];
        if (what == 1) {
          services.erase(services.begin() + (&s - services.data()));
        } else if (what == 2 && s.backends.size() > 1) {
          s.backends.erase(s.backends.begin() + pick(uint32_t(s.backends.size())));
        } else if (what == 3 && s.backends.size() < 8) {
          BackendSpec nb;
          nb.address = ip(("198.18.2." + std::to_string(1 + pick(10))).c_str());
          bool dup = false;
          for (const auto& o : s.backends) dup = dup || o.address == nb.address;
          if (!dup) s.backends.push_back(nb);  // no MAC: the resolver's, or none
        } else if (!s.backends.empty()) {
          BackendSpec& bs = s.backends[pick(uint32_t(s.backends.size()))];
          if (what < 7)
            bs.weight = pick(4);
          else
            bs.state = BackendState(pick(3));
        }
      }
      TableSpec spec{version, services};
      if (pick(8) == 0) {  // an invalid spec among them: rejected, and nothing changes
        TableSpec bad = spec;
        bad.services.push_back(bad.services.empty() ? web(1) : bad.services[0]);
        bad.services.back().backends.push_back(web(1).backends[0]);
        bad.services.back().backends.back().weight = 70000;
        SnapshotBuilder fresh(g);
        auto r = b.build(bad);
        ASSERT_EQ(r.snapshot, nullptr);
        EXPECT_EQ(r.errors, fresh.validate(bad)) << "version " << version;
        ++invalid;
      }
      auto r = b.build(spec);
      ASSERT_TRUE(r.errors.empty()) << "version " << version << ": " << r.errors[0].path << " " << r.errors[0].reason;
      const ServiceSnapshot& snap = *r.snapshot;
      maglev_reused += spec.services.size() - b.last_maglev_builds();
      ASSERT_EQ(snap.services.size(), spec.services.size());
      std::map<std::string, uint32_t> refs_now;
      std::set<uint32_t> slots;
      for (size_t si = 0; si < spec.services.size(); ++si) {
        const ServiceSpec& s = spec.services[si];
        const ServiceEntry& e = snap.services[si];
        ASSERT_EQ(e.backend_refs.size(), s.backends.size());
        std::vector<MaglevBackend> inputs;
        for (size_t bi = 0; bi < s.backends.size(); ++bi) {
          const BackendSpec& bs = s.backends[bi];
          const uint32_t ref = e.backend_refs[bi];
          const BackendEntry& be = snap.backend(ref);
          EXPECT_EQ(be.ref, ref);
          EXPECT_EQ(be.address, bs.address);
          EXPECT_EQ(be.state, bs.state);
          EXPECT_EQ(be.service_slot, e.slot);
          const auto want_hop = bs.mac ? bs.mac : res.next_hop(bs.address);
          EXPECT_EQ(be.has_next_hop, want_hop.has_value());
          if (want_hop) {
            EXPECT_EQ(be.next_hop, *want_hop);
          }
          EXPECT_TRUE(slots.insert(backend_slot(ref)).second) << "two backends share slot " << backend_slot(ref);
          const std::string id = std::to_string(s.port) + "/" + bs.address.to_string();
          refs_now[id] = ref;
          if (auto before = refs_before.find(id); before != refs_before.end()) {
            EXPECT_EQ(ref, before->second) << id << " stayed but changed its reference";
          }
          inputs.push_back({backend_identity(bs), bs.state == BackendState::kUp ? bs.weight : 0});
        }
        ASSERT_NE(e.maglev, nullptr);
        EXPECT_EQ(e.maglev->entries(), MaglevTable::build(inputs, g.maglev_size).entries()) << s.name;
      }
      // A backend that just left a surviving service drains its flows for the grace time
      // (its reference still resolves), or is gone at once without one.
      for (const auto& [id, ref] : refs_before) {
        if (refs_now.count(id)) continue;
        bool service_stays = false;
        for (const auto& sv : spec.services)
          service_stays = service_stays || id.starts_with(std::to_string(sv.port) + "/");
        const BackendEntry& be = snap.backend(ref);
        if (grace_ms && service_stays) {
          EXPECT_EQ(be.ref, ref) << id << " retired";
          EXPECT_EQ(be.state, BackendState::kDrain) << id;
        } else {
          EXPECT_NE(be.ref, ref) << id << " should be gone";
        }
      }
      refs_before = std::move(refs_now);
    }
    EXPECT_GT(maglev_reused, 300u) << "unchanged services keep their tables";
    EXPECT_GT(invalid, 10u);
  }
}

// A snapshot whose every backend says its version: a reader that sees another value saw a
// torn or freed snapshot.
std::unique_ptr<ServiceSnapshot> versioned(uint64_t v) {
  auto s = std::make_unique<ServiceSnapshot>();
  s->version = v;
  s->backends.resize(16);
  for (auto& b : s->backends) b.ref = uint32_t(v);
  return s;
}

// Readers hammer lookups while the writer swaps 100k times; every snapshot a reader sees is
// complete and versions never go backwards. Run under ASan this also proves that no reader
// touches a snapshot after it was freed.
TEST(SnapshotPublisher, ReadersNeverSeeFreedOrTornSnapshots) {
  SnapshotPublisher pub;
  pub.publish(versioned(1));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, errors{0};
  auto reader = [&] {
    SnapshotPublisher::reader_register();
    uint64_t last = 0, local = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 16; ++i) {
        const ServiceSnapshot* s = pub.reader_current();
        if (s->version < last) errors.fetch_add(1);
        last = s->version;
        for (const auto& b : s->backends)
          if (b.ref != uint32_t(s->version)) errors.fetch_add(1);
        ++local;
      }
      SnapshotPublisher::reader_quiescent();
    }
    reads.fetch_add(local);
    SnapshotPublisher::reader_unregister();
  };
  std::thread r1(reader), r2(reader);
  constexpr uint64_t kSwaps = 100'000;
  for (uint64_t v = 2; v <= kSwaps + 1; ++v) pub.publish(versioned(v));
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(pub.publishes(), kSwaps + 1);
  EXPECT_EQ(pub.current()->version, kSwaps + 1);
}

// Writers exchange under their own lock and wait for their grace periods outside it, as
// TableManager does: readers only ever see whole snapshots, every wait is counted, and (under
// ASan) no reader touches a snapshot after another writer's wait freed it.
TEST(SnapshotPublisher, WritersWaitOutsideTheirLockAndOverlap) {
  SnapshotPublisher pub;
  pub.publish(versioned(1));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reader_errors{0}, reads{0};
  std::thread reader([&] {
    SnapshotPublisher::reader_register();
    while (!stop.load(std::memory_order_relaxed)) {
      const ServiceSnapshot* s = pub.reader_current();
      for (const auto& b : s->backends)
        if (b.ref != uint32_t(s->version)) reader_errors.fetch_add(1);
      reads.fetch_add(1, std::memory_order_relaxed);
      SnapshotPublisher::reader_quiescent();
    }
    SnapshotPublisher::reader_unregister();
  });
  std::mutex mu;
  uint64_t next_version = 2;
  constexpr int kWriters = 4, kEach = 5000;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        SnapshotPublisher::Replaced replaced;
        {
          std::lock_guard lk(mu);
          replaced = pub.exchange(versioned(next_version++));
        }
        replaced.wait();
      }
    });
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  EXPECT_EQ(reader_errors.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(pub.publishes(), uint64_t(kWriters) * kEach + 1);
  EXPECT_EQ(pub.current()->version, uint64_t(kWriters) * kEach + 1);
}

}  // namespace
}  // namespace edgelb
