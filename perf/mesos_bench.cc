// edgelb-mesos-bench: the mesos-listener's numbers.
//   --mode decode   RecordIO + JSON decode rate, and decode + model apply rate, in process,
//                   over the recorded production stream repeated (events/s)
//   --mode memory   model memory per task with --tasks synthetic Marathon tasks (malloc'd
//                   bytes held by the model, mallinfo2)
//   --mode latency  simulator event -> Watch client latency: flips a task's health through
//                   edgelb-mesos-sim's control API and times until the change arrives on an
//                   edgelb.v1.MesosListener Watch stream from edgelb-apiserver (p50/p99)
// Prints one JSON object.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "api/proto/mesos_listener.grpc.pb.h"
#include "mesos/event_decoder.h"
#include "mesos/event_stream.h"
#include "mesos/recordio.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace m = edgelb::mesos;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

json decode_rate(const std::string& stream_file, double min_seconds) {
  const auto lines = read_lines(stream_file);
  std::string cycle;  // every event after SUBSCRIBED, framed
  for (size_t i = 1; i < lines.size(); ++i) cycle += m::recordio_frame(lines[i]);
  const std::string head = m::recordio_frame(lines[0]);
  const size_t events_per_cycle = lines.size() - 1;
  // (a) RecordIO + JSON decode only.
  size_t decoded = 0;
  auto t0 = Clock::now();
  m::Event e;
  std::string err;
  while (seconds_since(t0) < min_seconds) {
    m::RecordIoDecoder d;
    for (int k = 0; k < 100; ++k) d.feed(cycle, [&](std::string_view r) { decoded += m::decode_event(r, &e, &err); });
  }
  const double decode_s = seconds_since(t0);
  // (b) through EventStream into the model (TASK_ADDED of a known task is an upsert).
  m::MesosModel model;
  m::StreamCounters counters;
  m::EventStream stream(model, counters, "bench", nullptr);
  stream.feed(head);
  t0 = Clock::now();
  size_t applied = 0;
  while (seconds_since(t0) < min_seconds) {
    for (int k = 0; k < 100; ++k) stream.feed(cycle);
    applied += 100 * events_per_cycle;
  }
  const double apply_s = seconds_since(t0);
  return json{{"decode_events_per_s", decoded / decode_s},
              {"decode_apply_events_per_s", applied / apply_s},
              {"bytes_per_event", static_cast<double>(cycle.size()) / events_per_cycle},
              {"invalid", counters.invalid_records.load()}};
}

json memory(size_t tasks) {
  // A SUBSCRIBED snapshot of `tasks` Marathon tasks as edgelb-mesos-sim's scale makes them:
  // host networking, one named port, a status with the agent IP.
  json arr = json::array();
  for (size_t i = 0; i < tasks; ++i) {
    char id[96];
    std::snprintf(id, sizeof id, "prod_web.%08zx-0000-4000-8000-000000000000", i);
    arr.push_back(
        {{"name", "prod_web"},
         {"task_id", {{"value", id}}},
         {"framework_id", {{"value", "f1e2d3c4-0000-4000-8000-000000000001-0001"}}},
         {"agent_id", {{"value", "agent-S" + std::to_string(i % 20)}}},
         {"state", "TASK_RUNNING"},
         {"discovery",
          {{"ports", {{"ports", {{{"number", 31000 + i % 1000}, {"name", "http"}, {"protocol", "tcp"}}}}}}}},
         {"statuses",
          {{{"state", "TASK_RUNNING"},
            {"container_status", {{"network_infos", {{{"ip_addresses", {{{"ip_address", "198.18.1.1"}}}}}}}}}}}}});
  }
  m::Event e;
  e.type = m::Event::Type::kSubscribed;
  e.snapshot = m::decode_state(json{{"get_tasks", {{"tasks", arr}}}});
  arr = json();
  m::MesosModel model;
  malloc_trim(0);
  const size_t before = mallinfo2().uordblks;
  model.apply(e);
  const size_t after = mallinfo2().uordblks;
  e = m::Event();
  // The change log keeps a reference to every task it recorded; its share is counted too.
  return json{{"tasks", tasks}, {"model_bytes", after - before}, {"bytes_per_task", double(after - before) / tasks}};
}

size_t discard(char*, size_t s, size_t n, void*) { return s * n; }

void post(const std::string& url, const std::string& body) {
  CURL* c = curl_easy_init();
  curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK || code != 200) throw std::runtime_error("POST " + url + " failed (" + std::to_string(code) + ")");
}

json latency(const std::string& server, const std::string& sim, const std::string& framework, int samples) {
  namespace pb = edgelb::v1;
  auto stub = pb::MesosListener::NewStub(grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  grpc::ClientContext lctx;
  pb::ListMesosResponse list;
  lctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (auto s = stub->List(&lctx, pb::ListMesosRequest(), &list); !s.ok())
    throw std::runtime_error("List: " + s.error_message());
  std::vector<std::string> ids;
  for (const auto& t : list.tasks())
    if (t.framework_id() == framework) ids.push_back(t.task_id());
  if (ids.empty()) throw std::runtime_error("no tasks of framework " + framework);
  grpc::ClientContext wctx;
  wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));  // never hang a bench run
  pb::WatchMesosRequest req;
  req.set_after_revision(list.revision());
  auto reader = stub->Watch(&wctx, req);
  std::mt19937 rng(42);
  std::vector<double> ms;
  pb::WatchMesosResponse msg;
  std::map<std::string, bool> healthy;  // each flip must change the task, or no change is streamed
  for (int i = 0; i < samples; ++i) {
    const std::string& id = ids[rng() % ids.size()];
    const bool next = healthy.count(id) ? !healthy[id] : false;
    healthy[id] = next;
    const json op = {{"op", "update_task"}, {"framework_id", framework}, {"task_id", id}, {"healthy", next}};
    const auto t0 = Clock::now();
    post(sim + "/sim/v1/op", op.dump());
    bool seen = false;
    while (!seen && reader->Read(&msg))
      for (const auto& c : msg.changes())
        if (c.has_task() && c.task().task_id() == id) seen = true;
    if (!seen) throw std::runtime_error("watch stream ended");
    ms.push_back(seconds_since(t0) * 1e3);
  }
  wctx.TryCancel();
  reader->Finish();
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  return json{
      {"tasks", ids.size()}, {"samples", samples}, {"p50_ms", pct(0.5)}, {"p99_ms", pct(0.99)}, {"max_ms", ms.back()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgelb-mesos-bench"};
  std::string mode, stream, server, sim, framework = "f1e2d3c4-0000-4000-8000-000000000001-0001";
  double seconds = 2;
  size_t tasks = 10000;
  int samples = 200;
  app.add_option("--mode", mode)->required()->check(CLI::IsMember({"decode", "memory", "latency"}));
  app.add_option("--stream", stream, "recorded JSON-lines stream (decode)");
  app.add_option("--seconds", seconds, "minimum time per decode measurement");
  app.add_option("--tasks", tasks, "tasks in the model (memory)");
  app.add_option("--server", server, "edgelb-apiserver host:port, plaintext (latency)");
  app.add_option("--sim", sim, "edgelb-mesos-sim base URL (latency)");
  app.add_option("--framework", framework, "framework of the tasks to flip (latency)");
  app.add_option("--samples", samples, "latency samples");
  CLI11_PARSE(app, argc, argv);
  try {
    json out;
    if (mode == "decode")
      out = decode_rate(stream, seconds);
    else if (mode == "memory")
      out = memory(tasks);
    else
      out = latency(server, sim, framework, samples);
    std::cout << out.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "edgelb-mesos-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
