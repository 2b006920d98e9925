// The control service end to end over a real unix socket: versioning and idempotency, field
// paths of rejected requests (text and the ErrorDetails trailer), incremental edits, reads.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "control/control_client.h"
#include "control/control_service.h"
#include "control/proto/dataplane_control.grpc.pb.h"
#include "control/spec_codec.h"
#include "rpc/rpc_error.h"

namespace edgelb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ControlServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = "/tmp/edgelb-control-test-" + std::to_string(getpid()) + ".sock";
    ControlHooks hooks;
    hooks.workers = 1;
    hooks.serving = [] { return true; };
    hooks.publishes = [this] { return publisher_.publishes(); };
    hooks.stats = [this] {
      return tables_.read([](const TableSpec& t, const ServiceSnapshot*) {
        StatsReport r;
        r.table_version = t.version;
        r.totals.rx_packets = 7;
        r.totals.drops[size_t(DropReason::kNonVip)] = 2;
        r.totals.punted[size_t(PuntReason::kArp)] = 1;
        r.rcu.publishes = 3;
        return r;
      });
    };
    hooks.list_flows = [this](const FlowQuery& q, FlowListing* out) {
      last_query_ = q;
      FlowRecord r;
      r.key.family = 4;
      r.key.proto = 6;
      r.key.src[0] = 198, r.key.src[1] = 18, r.key.src[3] = 9;
      r.key.src_port = 4000;
      out->flows.push_back(r);
      out->truncated = true;
      return true;
    };
    server_ = std::make_unique<ControlServer>(path_, tables_, std::move(hooks));
    stub_ = pb::DataplaneControl::NewStub(grpc::CreateChannel("unix:" + path_, grpc::InsecureChannelCredentials()));
  }

  static pb::Service web(const std::string& vip = "198.18.1.10") {
    pb::Service s;
    s.set_name("web");
    s.set_vip(vip);
    s.set_port(80);
    s.set_protocol(pb::TCP);
    auto* b = s.add_backends();
    b->set_address("198.18.2.1");
    b->set_mac("02:00:00:00:02:01");
    b = s.add_backends();
    b->set_address("198.18.2.2");
    b->set_mac("02:00:00:00:02:02");
    b->set_weight(3);
    return s;
  }

  grpc::Status apply(uint64_t version, const std::vector<pb::Service>& services, pb::ChangeReply* r) {
    pb::ApplyStateRequest req;
    req.mutable_state()->set_version(version);
    for (const auto& s : services) *req.mutable_state()->add_services() = s;
    grpc::ClientContext ctx;
    auto st = stub_->ApplyState(&ctx, req, r);
    status_ = st;
    return st;
  }

  static pb::ErrorDetails details(const grpc::Status& s) {
    pb::ErrorDetails d;
    rpc::read_error_detail(s, &d);
    return d;
  }

  // "service: field, field" per refused service, in the order refused.
  static std::vector<std::string> refusals(const pb::ErrorDetails& d) {
    std::vector<std::string> out;
    for (const auto& r : d.refused_services()) {
      std::string line = r.service() + ":";
      for (const auto& v : r.violations()) line += " " + v.field();
      out.push_back(line);
    }
    return out;
  }

  static std::vector<std::string> fields(const grpc::Status& s) {
    std::vector<std::string> out;
    for (const auto& v : rpc::read_error(s).violations) out.push_back(v.path);
    return out;
  }

  uint64_t live_version() {
    return tables_.read([](const TableSpec& t, const ServiceSnapshot* s) { return s ? s->version : t.version; });
  }

  SnapshotPublisher publisher_;
  TableManager tables_{ForwardingGlobals{}, publisher_};
  std::string path_;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<pb::DataplaneControl::Stub> stub_;
  grpc::Status status_;  // the last apply() or call()
  FlowQuery last_query_;
};

TEST_F(ControlServiceTest, DrainOnAndOffThroughTheClient) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(5, {web()}, &r).ok());
  ControlClient client(path_);
  pb::DrainReply d;
  ASSERT_TRUE(client.set_drain(true, &d).ok());
  EXPECT_TRUE(d.draining());
  EXPECT_EQ(d.table_version(), 5u);
  EXPECT_TRUE(tables_.read([](const TableSpec&, const ServiceSnapshot* s) { return s->draining; }));
  pb::VersionReply v;
  ASSERT_TRUE(client.get_version(&v).ok());
  EXPECT_TRUE(v.draining());
  ASSERT_TRUE(apply(6, {web()}, &r).ok());  // a new state keeps the drain
  ASSERT_TRUE(client.get_version(&v).ok());
  EXPECT_TRUE(v.draining());
  EXPECT_EQ(v.table_version(), 6u);
  ASSERT_TRUE(client.set_drain(false, &d).ok());
  EXPECT_FALSE(d.draining());
  ASSERT_TRUE(client.get_version(&v).ok());
  EXPECT_FALSE(v.draining());
}

TEST_F(ControlServiceTest, ApplyStateIsVersionedAndIdempotent) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(5, {web()}, &r).ok());
  EXPECT_EQ(r.version(), 5u);
  EXPECT_TRUE(r.changed());
  ASSERT_TRUE(apply(5, {web()}, &r).ok());  // the same state again: no publish
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(publisher_.publishes(), 1u);

  auto st = apply(5, {web("198.18.1.11")}, &r);  // same version, other content
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(fields(status_), ElementsAre("state.version"));
  st = apply(4, {web()}, &r);
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_EQ(details(status_).live_version(), 5u);
  EXPECT_EQ(live_version(), 5u);
}

TEST_F(ControlServiceTest, InvalidStateNamesEveryFieldAndKeepsServing) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(1, {web()}, &r).ok());
  pb::Service bad = web("not-an-ip");
  bad.mutable_backends(1)->set_weight(70000);
  bad.mutable_backends(0)->set_mac("zz");
  pb::Service dsr6 = web("198.18.1.12");
  dsr6.set_name("six");
  dsr6.mutable_backends(0)->set_address("2001:db8::1");
  auto st = apply(2, {bad}, &r);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(fields(status_), ElementsAre("state.services[0].vip", "state.services[0].backends[0].mac",
                                           "state.services[0].backends[1].weight"));
  EXPECT_THAT(refusals(details(status_)), ElementsAre("web: state.services[0].vip state.services[0].backends[0].mac "
                                                      "state.services[0].backends[1].weight"));
  EXPECT_THAT(st.error_message(), HasSubstr("state.services[0].backends[1].weight: must be 0-65535, got 70000"));
  // The same violations in the standard grpc-status-details-bin (google.rpc.BadRequest), with
  // ErrorDetails (the version still serving) beside them.
  const rpc::CallError e = rpc::read_error(st);
  ASSERT_EQ(e.violations.size(), 3u);
  EXPECT_EQ(e.violations[2].path, "state.services[0].backends[1].weight");
  EXPECT_EQ(e.violations[2].reason, "must be 0-65535, got 70000");
  pb::ErrorDetails standard;
  ASSERT_TRUE(rpc::read_error_detail(st, &standard));
  EXPECT_EQ(standard.live_version(), 1u);
  st = apply(2, {web(), dsr6}, &r);  // semantic (builder) error, with the request's path
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(fields(status_), ElementsAre("state.services[1].backends[0].address"));
  EXPECT_THAT(refusals(details(status_)), ElementsAre("six: state.services[1].backends[0].address"));
  EXPECT_EQ(details(status_).live_version(), 1u);
  // The client reads the refusals by service name (what the agent reports per service).
  ControlClient client(path_);
  TableSpec both;
  both.version = 2;
  FieldErrors decode_errors;
  both.services = {decode_service(web(), "", decode_errors), decode_service(dsr6, "", decode_errors)};
  ASSERT_TRUE(decode_errors.empty());
  const ControlOutcome o = client.apply_state(both);
  EXPECT_EQ(o.status.error_code(), grpc::INVALID_ARGUMENT);
  ASSERT_EQ(o.refused.size(), 1u);
  EXPECT_EQ(o.refused.begin()->first, "six");
  EXPECT_EQ(
      o.refused.begin()->second,
      (FieldErrors{{"state.services[1].backends[0].address", "DSR needs the backend in the VIP's address family"}}));
  EXPECT_EQ(live_version(), 1u);
  EXPECT_EQ(publisher_.publishes(), 1u);
}

TEST_F(ControlServiceTest, IncrementalEditsBumpTheVersion) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(10, {web()}, &r).ok());
  {
    pb::SetBackendRequest req;
    req.set_service("web");
    req.set_backend("198.18.2.2:80");
    req.set_state(pb::DRAIN);
    req.set_expected_version(10);
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->SetBackend(&ctx, req, &r).ok());
    EXPECT_EQ(r.version(), 11u);
  }
  {
    pb::SetBackendRequest req;  // stale expected version
    req.set_service("web");
    req.set_backend("198.18.2.1");
    req.set_weight(0);
    req.set_expected_version(10);
    grpc::ClientContext ctx;
    const grpc::Status st = stub_->SetBackend(&ctx, req, &r);
    EXPECT_EQ(st.error_code(), grpc::ABORTED);
    EXPECT_EQ(details(st).live_version(), 11u);
  }
  {
    pb::SetBackendRequest req;
    req.set_service("web");
    req.set_backend("198.18.9.9");
    req.set_state(pb::DOWN);
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->SetBackend(&ctx, req, &r).error_code(), grpc::NOT_FOUND);
  }
  {
    pb::UpsertServiceRequest req;  // a second service whose backend breaks DSR rules
    *req.mutable_service() = web("198.18.1.20");
    req.mutable_service()->set_name("api");
    req.mutable_service()->mutable_backends(0)->set_port(8080);
    grpc::ClientContext ctx;
    const grpc::Status st = stub_->UpsertService(&ctx, req, &r);
    EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(fields(st), ElementsAre("service.backends[0].port"));
    EXPECT_THAT(refusals(details(st)), ElementsAre("api: service.backends[0].port"));
  }
  {
    pb::UpsertServiceRequest req;
    *req.mutable_service() = web("198.18.1.20");
    req.mutable_service()->set_name("api");
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->UpsertService(&ctx, req, &r).ok());
    EXPECT_EQ(r.version(), 12u);
  }
  {
    pb::DeleteServiceRequest req;
    req.set_name("web");
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->DeleteService(&ctx, req, &r).ok());
    EXPECT_EQ(r.version(), 13u);
  }
  pb::ServiceState live;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->GetServices(&ctx, {}, &live).ok());
  EXPECT_EQ(live.version(), 13u);
  ASSERT_EQ(live.services_size(), 1);
  EXPECT_EQ(live.services(0).name(), "api");
  EXPECT_EQ(live.services(0).backends(1).weight(), 3u);
}

TEST_F(ControlServiceTest, ApplyChangesPublishesAllOfThemOrNone) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(10, {web()}, &r).ok());
  auto call = [&](const pb::ApplyChangesRequest& req) {
    grpc::ClientContext ctx;
    auto st = stub_->ApplyChanges(&ctx, req, &r);
    status_ = st;
    return st;
  };
  auto drain = [](pb::ApplyChangesRequest& req, const std::string& backend) {
    auto* b = req.add_changes()->mutable_set_backend();
    b->set_service("web");
    b->set_backend(backend);
    b->set_state(pb::DRAIN);
  };
  auto live = [&] { return tables_.read([](const TableSpec& t, const ServiceSnapshot*) { return t; }); };

  // A new service, a backend of it and of the old one, in one table: later changes see the
  // earlier ones.
  pb::ApplyChangesRequest ok;
  *ok.add_changes()->mutable_upsert_service() = web("198.18.1.20");
  ok.mutable_changes(0)->mutable_upsert_service()->set_name("api");
  auto* w = ok.add_changes()->mutable_set_backend();
  w->set_service("api");
  w->set_backend("198.18.2.1");
  w->set_weight(7);
  drain(ok, "198.18.2.2:80");
  ok.set_expected_version(10);
  const uint64_t publishes = publisher_.publishes();
  ASSERT_TRUE(call(ok).ok());
  EXPECT_EQ(r.version(), 11u);
  EXPECT_TRUE(r.changed());
  EXPECT_EQ(publisher_.publishes(), publishes + 1);
  TableSpec t = live();
  ASSERT_EQ(t.services.size(), 2u);
  EXPECT_EQ(t.services[0].backends[1].state, BackendState::kDrain);
  EXPECT_EQ(t.services[1].name, "api");
  EXPECT_EQ(t.services[1].backends[0].weight, 7u);

  // The same again changes nothing.
  ok.set_expected_version(0);
  ASSERT_TRUE(call(ok).ok());
  EXPECT_EQ(r.version(), 11u);
  EXPECT_FALSE(r.changed());

  // One bad change refuses the whole call, named by its place in the request.
  pb::ApplyChangesRequest bad;
  drain(bad, "198.18.2.1");
  *bad.add_changes()->mutable_upsert_service() = web("198.18.1.30");
  bad.mutable_changes(1)->mutable_upsert_service()->set_name("dns");
  bad.mutable_changes(1)->mutable_upsert_service()->mutable_backends(0)->set_port(8080);  // DSR: no remap
  EXPECT_EQ(call(bad).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(fields(status_), ElementsAre("changes[1].upsert_service.backends[0].port"));
  EXPECT_THAT(refusals(details(status_)), ElementsAre("dns: changes[1].upsert_service.backends[0].port"));
  EXPECT_EQ(details(status_).live_version(), 11u);
  pb::ApplyChangesRequest missing;
  drain(missing, "198.18.2.1");
  drain(missing, "198.18.9.9");
  missing.add_changes()->set_delete_service("api");
  EXPECT_EQ(call(missing).error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(fields(status_), ElementsAre("changes[1].set_backend.backend"));
  EXPECT_EQ(call(ok).error_code(), grpc::OK);
  ok.set_expected_version(10);
  EXPECT_EQ(call(ok).error_code(), grpc::ABORTED);
  EXPECT_EQ(live(), t) << "a refused call changed the table";
  EXPECT_EQ(publisher_.publishes(), publishes + 1);

  // Malformed requests are refused before the table is read.
  pb::ApplyChangesRequest empty;
  EXPECT_EQ(call(empty).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(fields(status_), ElementsAre("changes"));
  pb::ApplyChangesRequest malformed;
  malformed.add_changes();
  drain(malformed, "198.18.2.1");
  malformed.mutable_changes(1)->mutable_set_backend()->set_expected_version(10);
  malformed.mutable_changes(1)->mutable_set_backend()->set_weight(70000);
  malformed.add_changes()->set_delete_service("");
  EXPECT_EQ(call(malformed).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(fields(status_), ElementsAre("changes[0]", "changes[1].set_backend.expected_version",
                                           "changes[1].set_backend.weight", "changes[2].delete_service"));
  // changes[0] and changes[2] name no service; changes[1] is about web.
  EXPECT_THAT(refusals(details(status_)),
              ElementsAre("web: changes[1].set_backend.expected_version changes[1].set_backend.weight"));

  // Deleting and adding back in one call.
  pb::ApplyChangesRequest swap;
  swap.add_changes()->set_delete_service("web");
  *swap.add_changes()->mutable_upsert_service() = web();
  ASSERT_TRUE(call(swap).ok());
  EXPECT_EQ(r.version(), 12u);
  t = live();
  ASSERT_EQ(t.services.size(), 2u);
  EXPECT_EQ(t.services[0].name, "api");
  EXPECT_EQ(t.services[1].name, "web");
  EXPECT_EQ(t.services[1].backends[1].state, BackendState::kUp);
}

TEST_F(ControlServiceTest, ReadsAndFlowFilters) {
  pb::ChangeReply r;
  ASSERT_TRUE(apply(3, {web()}, &r).ok());
  {
    pb::VersionReply v;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetVersion(&ctx, {}, &v).ok());
    EXPECT_EQ(v.table_version(), 3u);
    EXPECT_EQ(v.publishes(), 1u);
    EXPECT_TRUE(v.serving());
  }
  {
    pb::Stats s;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetStats(&ctx, {}, &s).ok());
    EXPECT_EQ(s.rx_packets(), 7u);
    EXPECT_EQ(s.drops().at("non_vip"), 2u);
    EXPECT_EQ(s.punts().at("arp"), 1u);
  }
  {
    pb::ListFlowsRequest req;
    req.set_vip("198.18.1.10");
    req.set_protocol(pb::TCP);
    req.set_limit(5);
    pb::ListFlowsResponse out;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ListFlows(&ctx, req, &out).ok());
    EXPECT_EQ(last_query_.limit, 5u);
    EXPECT_EQ(last_query_.protocol, 6);
    EXPECT_EQ(last_query_.vip.to_string(), "198.18.1.10");
    ASSERT_EQ(out.flows_size(), 1);
    EXPECT_EQ(out.flows(0).client(), "198.18.0.9");
    EXPECT_EQ(out.flows(0).backend(), "gone");
    EXPECT_TRUE(out.truncated());
  }
  {
    pb::ListFlowsRequest req;
    req.set_client("198.18.0.300");
    req.set_limit(20000);
    pb::ListFlowsResponse out;
    grpc::ClientContext ctx;
    const grpc::Status st = stub_->ListFlows(&ctx, req, &out);
    EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(fields(st), ElementsAre("client", "limit"));
  }
}

TEST(SpecCodec, RoundTripsEveryField) {
  TableSpec t;
  t.version = 42;
  ServiceSpec s;
  s.name = "nat6";
  s.vip = *IpAddress::parse("2001:db8::10");
  s.port = 443;
  s.protocol = 6;
  s.mode = ForwardingMode::kNat;
  s.mss_clamp = 1360;
  s.maglev_size = 251;
  BackendSpec b;
  b.address = *IpAddress::parse("2001:db8::2:1");
  b.port = 8443;
  b.weight = 0;
  b.state = BackendState::kDrain;
  b.mac = MacAddress::parse("02:00:00:00:02:01");
  b.identity = "task-1";
  s.backends.push_back(b);
  t.services.push_back(s);
  FieldErrors errors;
  TableSpec back = decode_state(encode_state(t), "state", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(back, t);
}

}  // namespace
}  // namespace edgelb
