// In-process dataplane benchmarks (Google Benchmark):
//  - BM_Pipeline/<flows>: parse -> VIP lookup -> conntrack -> Maglev -> forward on bursts of 32
//    prebuilt frames in mbuf-shaped buffers (128 B headroom), with <flows> live flows chosen at
//    random per packet (the table is filled before timing). Counters: ns and cycles per packet.
//  - BM_MaglevBuild/<backends>: table build at M=65537.
//  - BM_FlowMemory: bytes per flow slot and per live flow at the benchmark's load factor.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <memory>
#include <random>
#include <vector>

#include "forward/checksum.h"
#include "pipeline/pipeline.h"
#include "service/snapshot_builder.h"

namespace {
using namespace edgelb;

constexpr double kLoad = 0.9;  // live flows / table capacity: the design load (no evictions)

std::unique_ptr<ServiceSnapshot> make_table(ForwardingMode mode) {
  ForwardingGlobals g;
  g.encap_source_v4 = IpPrefix::parse("198.18.254.0/24");
  g.gateway_mac = MacAddress::parse("02:00:00:00:00:fe");
  SnapshotBuilder b(g);
  ServiceSpec s;
  s.vip = *IpAddress::parse("198.18.1.10");
  s.port = 80;
  s.protocol = 6;
  s.mode = mode;
  for (int i = 0; i < 16; ++i) {
    BackendSpec be;
    be.address = *IpAddress::parse("198.18.2." + std::to_string(i + 1));
    be.mac = MacAddress::parse("02:00:00:00:02:01");
    s.backends.push_back(be);
  }
  return std::move(b.build({1, {s}}).snapshot);
}

// A 64-byte TCP/IPv4 frame toward the VIP from flow `f`.
void write_frame(uint8_t* p, uint64_t f) {
  static const uint8_t tmpl[64] = {
      0x02, 0, 0, 0,  0, 0x01, 0x02, 0, 0,  0, 0, 0xaa, 0x08, 0x00,                              // Ethernet
      0x45, 0, 0, 46, 0, 0,    0,    0, 64, 6, 0, 0,    198,  18,   0,    1,    198, 18, 1, 10,  // IPv4
      0,    0, 0, 80, 0, 0,    0,    0, 0,  0, 0, 0,    0x50, 0x10, 0xff, 0xff, 0,   0,  0, 0,   // TCP
      0,    0, 0, 0,  0, 0,    0,    0, 0,  0};
  std::memcpy(p, tmpl, 64);
  store_be32(p + 26, 0xc6128000u | uint32_t(f >> 16));  // 198.18.128.0/17 + flow bits
  store_be16(p + 34, uint16_t(f));
  store_be16(p + 24, ipv4_header_checksum(p + 14, 20));  // as a real client sends it
}

struct Frames {
  static constexpr uint32_t kHeadroom = 128, kStride = 256;
  std::vector<uint8_t> mem = std::vector<uint8_t>(kStride * Pipeline::kMaxBurst);
  PacketView views[Pipeline::kMaxBurst];
  void load(const uint64_t* flows, uint16_t n) {
    for (uint16_t i = 0; i < n; ++i) {
      uint8_t* d = mem.data() + i * kStride + kHeadroom;
      write_frame(d, flows[i]);
      views[i] = PacketView{d, 64, kHeadroom};
    }
  }
};

void run_pipeline(benchmark::State& state, ForwardingMode mode) {
  const uint64_t nflows = uint64_t(state.range(0));
  FlowTableConfig cfg;
  cfg.capacity = uint64_t(double(nflows) / kLoad) + 64;
  cfg.syn_flood_threshold = 0;
  cfg.tcp_established_timeout_ms = 1u << 30;
  FlowTable flows(cfg);
  WorkerStats stats(64, 256);
  Pipeline pipeline(flows, stats);
  auto table = make_table(mode);
  const MacAddress mac = *MacAddress::parse("02:00:00:00:00:01");
  Frames fr;
  Verdict verdicts[Pipeline::kMaxBurst];
  uint64_t ids[Pipeline::kMaxBurst];
  for (uint64_t f = 0; f < nflows; f += 32) {  // populate: every flow once
    uint16_t n = uint16_t(std::min<uint64_t>(32, nflows - f));
    for (uint16_t i = 0; i < n; ++i) ids[i] = f + i;
    fr.load(ids, n);
    pipeline.process_burst(fr.views, n, verdicts, table.get(), mac, 1);
  }
  std::mt19937_64 rng(42);
  std::vector<uint64_t> order(1 << 16);
  for (auto& o : order) o = rng() % nflows;
  size_t pos = 0;
  uint64_t packets = 0, cycles = 0;
  for (auto _ : state) {
    for (uint16_t i = 0; i < 32; ++i) ids[i] = order[(pos + i) & 0xffff];
    pos += 32;
    fr.load(ids, 32);
    const uint64_t t0 = __rdtsc();
    pipeline.process_burst(fr.views, 32, verdicts, table.get(), mac, 2);
    cycles += __rdtsc() - t0;
    packets += 32;
    benchmark::DoNotOptimize(verdicts);
  }
  for (uint16_t i = 0; i < 32; ++i)
    if (verdicts[i] != Verdict::kForward) {
      state.SkipWithError("the pipeline did not forward the benchmark's packets (a drop check?)");
      return;
    }
  state.SetItemsProcessed(int64_t(packets));
  state.counters["cycles_per_packet"] = double(cycles) / double(packets);
  state.counters["ns_per_packet"] =
      benchmark::Counter(double(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["live_flows"] = double(flows.counters().occupancy.get());
  state.counters["evictions"] = double(flows.counters().evictions.get());
  state.counters["new_flows_during_run"] = double(stats.vip[0].new_flows.get()) - double(nflows);
}

void BM_Pipeline(benchmark::State& s) { run_pipeline(s, ForwardingMode::kDsr); }
void BM_PipelineGue(benchmark::State& s) { run_pipeline(s, ForwardingMode::kGue); }
BENCHMARK(BM_Pipeline)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kNanosecond)
    ->MinTime(1.0);
BENCHMARK(BM_PipelineGue)->Arg(1'000)->Arg(1'000'000)->Unit(benchmark::kNanosecond)->MinTime(0.5);

void BM_MaglevBuild(benchmark::State& state) {
  std::vector<MaglevBackend> b;
  for (int64_t i = 0; i < state.range(0); ++i)
    b.push_back({"10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":80", 1});
  for (auto _ : state) benchmark::DoNotOptimize(MaglevTable::build(b, 65537));
}
BENCHMARK(BM_MaglevBuild)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_FlowMemory(benchmark::State& state) {
  FlowTableConfig cfg;  // the default split: one IPv6 slot per 8 IPv4 slots, counted here too
  cfg.capacity = 1 << 20;
  for (auto _ : state) benchmark::DoNotOptimize(FlowTable::memory_size(cfg));
  const double per_slot = double(FlowTable::memory_size(cfg)) / double(cfg.capacity);
  state.counters["bytes_per_slot"] = per_slot;
  state.counters["bytes_per_live_flow_at_load"] = per_slot / kLoad;
  state.counters["load_factor"] = kLoad;
}
BENCHMARK(BM_FlowMemory)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
