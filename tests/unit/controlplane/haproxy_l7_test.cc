// What users send and get through the HAProxy configuration edgelb renders, against a real
// HAProxy 2.6 on loopback and scripted backends that record every request they receive:
//  - requests that are not safe to repeat reach the servers once, whatever the server does
//    (closes without answering, answers too late); GETs may be retried on another server;
//  - rewriteHttp.path turns every row of Edge-LB's documented fromPath/toPath table into the
//    documented path, query string kept;
//  - the Location rewrite that goes with it touches redirects to the request's own host only;
//  - TLS frontends accept TLS 1.2 with ECDHE and AEAD ciphers and TLS 1.3 only, issue no
//    session tickets, and a pool's bindModifier changes that per frontend;
//  - Edge-LB's documented certificate in an environment variable is served;
//  - the connection limits fit the descriptors HAProxy may open;
//  - every request is logged, naming the pool, frontend, backend and server (the task), in a
//    file that rotates by size, to a syslog socket or to the agent's stdout; connections that
//    send nothing are not;
//  - servers carry their task's name and address in the stats page, its CSV and /metrics,
//    and the free slots of fixed-slot backends do not show as servers in maintenance there;
//  - a request in flight survives a reload unless it outlasts hard-stop-after.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "common/subprocess.h"
#include "eventually.h"
#include "fixtures.h"
#include "haproxy/access_log.h"
#include "haproxy/config_renderer.h"
#include "haproxy/supervisor.h"
#include "http_backend.h"
#include "pool/pool_validator.h"

namespace edgelb::haproxy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// One pool instance on loopback: `frontends` and `backends` (Edge-LB V2 JSON) with frontend i
// bound to 127.0.0.1:port(i), and every services[] entry's endpoints given by the test.
// `prepare` may change the render settings and the supervisor's options, and put files (
// certificates) in the instance directory before HAProxy starts.
class L7Instance {
 public:
  using Prepare = std::function<void(RenderSettings&, SupervisorOptions&, const fs::path& dir)>;
  L7Instance(json frontends, json backends, const EndpointsByService& endpoints, const Prepare& prepare = {}) {
    static int n = 0;
    dir_ = fs::temp_directory_path() / ("edgelb-l7-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "secrets");
    fs::create_directories(dir_ / "run");
    for (auto& f : frontends) {
      ports_.push_back(test::free_loopback_port());
      f["bindAddress"] = "127.0.0.1";
      f["bindPort"] = ports_.back();
    }
    json doc = {{"apiVersion", "V2"},
                {"name", "l7"},
                {"haproxy",
                 {{"stats", {{"bindAddress", "127.0.0.1"}, {"bindPort", stats_port_}}},
                  {"frontends", frontends},
                  {"backends", backends}}}};
    pool_ = cp::PoolModel::from_json(doc);
    settings_ = RenderSettings::under(dir_.string());
    slots_ = ServerSlots::plan(pool_, endpoints);
    SupervisorOptions o;
    o.instance_dir = dir_.string();
    if (prepare) prepare(settings_, o, dir_);
    supervisor_ = std::make_unique<Supervisor>(o);
    // As the agent does: HAProxy inherits the frontend listeners the supervisor opened.
    settings_.inherited_fds = supervisor_->inherited_binds(frontend_binds(pool_, settings_));
    config_ = render_config(pool_, 1, slots_, settings_);
    supervisor_->start(config_);
  }
  ~L7Instance() {
    supervisor_.reset();
    // Anything an assertion left running: the master this test started, by its PID.
    std::ifstream in(dir_ / "run/master.pid");
    int pid = 0;
    if (in >> pid && pid > 1 && kill(pid, 0) == 0) kill(pid, SIGKILL);
    fs::remove_all(dir_);
  }
  uint16_t port(size_t frontend = 0) const { return ports_.at(frontend); }
  uint16_t stats_port() const { return stats_port_; }
  const std::string& config() const { return config_; }
  const fs::path& dir() const { return dir_; }
  Supervisor& supervisor() { return *supervisor_; }

 private:
  fs::path dir_;
  std::vector<uint16_t> ports_;
  uint16_t stats_port_ = test::free_loopback_port();
  cp::PoolModel pool_;
  RenderSettings settings_;
  ServerSlots slots_;
  std::string config_;
  std::unique_ptr<Supervisor> supervisor_;
};

ServerEndpoint at(uint16_t port, const std::string& task) { return {"127.0.0.1", port, false, task, true}; }

json http_backend(const std::string& name, json extra = json::object()) {
  json b = {{"name", name},
            {"protocol", "HTTP"},
            {"services", {{{"marathon", {{"serviceID", "/" + name}}}, {"endpoint", {{"port", 80}}}}}}};
  b.update(extra);
  return b;
}

json http_frontend(const std::string& default_backend, json map = json::array()) {
  return {{"protocol", "HTTP"}, {"linkBackend", {{"defaultBackend", default_backend}, {"map", map}}}};
}

test::ScriptedAnswer close_without_answer(const std::string&, size_t) { return {std::nullopt, 0ms}; }

// --- 1. Requests that are not safe to repeat are not replayed ---------------------------

// Servers that close the connection without answering: the request was sent, nothing came
// back. A GET goes to another server (and is answered there); a POST is not sent again.
TEST(L7Retries, APostIsNotReplayedWhenItsServerClosesWithoutAnswering) {
  test::ScriptedBackend closing(close_without_answer);
  test::ScriptedBackend answering([](const std::string& head, size_t) { return test::echo_request_line(head); });
  L7Instance in({http_frontend("app")}, {http_backend("app")},
                {{service_path(0, 0), {at(closing.port(), "closing"), at(answering.port(), "answering")}}});
  // Round robin: some of these reach the closing server. Each reaches a server exactly once,
  // and the client learns which ones failed.
  int failed = 0;
  for (int i = 0; i < 4; ++i) {
    const auto post = test::http_request(in.port(), "POST", "/orders", "test", "item=" + std::to_string(i));
    EXPECT_TRUE(post.status == 200 || post.status == 502) << post.head;
    failed += post.status == 502;
  }
  EXPECT_EQ(closing.count("POST") + answering.count("POST"), 4u) << "a POST was sent again";
  EXPECT_EQ(closing.count("POST"), static_cast<size_t>(failed));
  EXPECT_GE(failed, 1);
  // A GET that meets the closing server is sent again, and answered by the other one.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(test::http_request(in.port(), "GET", "/orders/1").status, 200);
  EXPECT_GE(closing.count("GET"), 1u);
  EXPECT_EQ(answering.count("GET"), 4u);
}

TEST(L7Retries, APostIsNotReplayedAfterAResponseTimeout) {
  // Every server answers after 1.5 s; the backend waits 300 ms.
  auto slow = [](const std::string& head, size_t) {
    auto a = test::echo_request_line(head);
    a.delay = 1500ms;
    return a;
  };
  test::ScriptedBackend a(slow), b(slow);
  L7Instance in({http_frontend("app")}, {http_backend("app", {{"miscStrs", {"timeout server 300ms"}}})},
                {{service_path(0, 0), {at(a.port(), "a"), at(b.port(), "b")}}});
  const auto post = test::http_request(in.port(), "POST", "/pay", "test", "amount=10", 4s);
  EXPECT_EQ(post.status, 504) << post.head;
  EXPECT_EQ(a.count("POST") + b.count("POST"), 1u);
  // A GET is retried (retries 3: up to four attempts) before the client gets its 504.
  const auto get = test::http_request(in.port(), "GET", "/balance", "test", "", 4s);
  EXPECT_EQ(get.status, 504) << get.head;
  EXPECT_GE(a.count("GET") + b.count("GET"), 2u);
}

TEST(L7Retries, OtherUnsafeMethodsAreNotReplayedAndSafeOnesAre) {
  test::ScriptedBackend a(close_without_answer), b(close_without_answer);
  L7Instance in({http_frontend("app")}, {http_backend("app")},
                {{service_path(0, 0), {at(a.port(), "a"), at(b.port(), "b")}}});
  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(test::http_request(in.port(), method, "/x", "test", "v=1").status, 502) << method;
    EXPECT_EQ(a.count(method) + b.count(method), 1u) << method;
  }
  for (const std::string method : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_EQ(test::http_request(in.port(), method, "/x").status, 502) << method;
    EXPECT_EQ(a.count(method) + b.count(method), 4u) << method << ": retries 3 means four attempts";
  }
}

// --- 2. rewriteHttp.path follows Edge-LB's documented table ------------------------------

// The rows of "Modifying path values" in Edge-LB's path-based routing how-to (1.5+): fromPath,
// toPath, the request, the path the backend sees. The row "/nginx" -> "/subpath/" keeps the
// documented double slash.
struct RewriteRow {
  const char* from;
  const char* to;
  const char* request;
  const char* expected;
};
const RewriteRow kEdgeLbTable[] = {
    {"/nginx", "", "/nginx", "/"},
    {"/nginx", "/", "/nginx", "/"},
    {"/nginx", "/", "/nginx/", "/"},
    {"/nginx", "/", "/nginx/index.html", "/index.html"},
    {"/nginx", "/", "/nginx/subpath/index.html", "/subpath/index.html"},
    {"/nginx/", "", "/nginx", "/nginx"},
    {"/nginx/", "", "/nginx/", "/"},
    {"/nginx", "/subpath", "/nginx", "/subpath"},
    {"/nginx", "/subpath", "/nginx/", "/subpath/"},
    {"/nginx", "/subpath", "/nginx/index.html", "/subpath/index.html"},
    {"/nginx", "/subpath/", "/nginx/index.html", "/subpath//index.html"},
    {"/nginx/", "/subpath/", "/nginx/index.html", "/subpath/index.html"},
    // Not in the table: the query string stays as it came, and "" never sends an empty or
    // relative request target.
    {"/nginx", "/", "/nginx/index.html?a=1&b=/nginx/x", "/index.html?a=1&b=/nginx/x"},
    {"/nginx", "", "/nginx?x=1", "/?x=1"},
    {"/nginx", "", "/nginx/index.html", "/index.html"},
    {"/nginx", "/subpath", "/nginx/a?q=/nginx", "/subpath/a?q=/nginx"},
};

TEST(L7Rewrite, EveryRowOfEdgeLbsPathTableReachesTheBackendAsDocumented) {
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  // One backend per (fromPath, toPath) pair, chosen by Host: r<k>.test.
  std::vector<std::pair<std::string, std::string>> pairs;
  json backends = json::array(), map = json::array();
  EndpointsByService endpoints;
  for (const auto& row : kEdgeLbTable) {
    const std::pair<std::string, std::string> pair{row.from, row.to};
    if (std::find(pairs.begin(), pairs.end(), pair) != pairs.end()) continue;
    const std::string name = "r" + std::to_string(pairs.size());
    backends.push_back(http_backend(name, {{"rewriteHttp", {{"path", {{"fromPath", row.from}, {"toPath", row.to}}}}}}));
    map.push_back({{"hostEq", name + ".test"}, {"backend", name}});
    endpoints[service_path(pairs.size(), 0)] = {at(echo.port(), "echo")};
    pairs.push_back(pair);
  }
  L7Instance in({http_frontend("r0", map)}, backends, endpoints);
  for (const auto& row : kEdgeLbTable) {
    const size_t k =
        std::find(pairs.begin(), pairs.end(), std::pair<std::string, std::string>{row.from, row.to}) - pairs.begin();
    const auto reply = test::http_request(in.port(), "GET", row.request, "r" + std::to_string(k) + ".test");
    EXPECT_EQ(reply.status, 200) << row.from << " -> " << row.to << ", " << row.request << ": " << reply.head;
    EXPECT_EQ(reply.body, "GET " + std::string(row.expected) + " HTTP/1.1\n")
        << "fromPath \"" << row.from << "\", toPath \"" << row.to << "\", request " << row.request;
  }
}

// --- 3. Redirects are rewritten back under fromPath for the request's own host only --------

TEST(L7Rewrite, LocationIsRewrittenOnlyForTheRequestsOwnHost) {
  // The server redirects to whatever follows "to=" in the request target.
  test::ScriptedBackend redirector([](const std::string& head, size_t) {
    const std::string line = head.substr(0, head.find(' ', head.find(' ') + 1));
    const std::string target = line.substr(line.find("to=") + 3);
    return test::ScriptedAnswer{
        "HTTP/1.1 302 Found\r\nLocation: " + target + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0ms};
  });
  L7Instance in({http_frontend("app")},
                {http_backend("app", {{"rewriteHttp", {{"path", {{"fromPath", "/nginx"}, {"toPath", "/"}}}}}})},
                {{service_path(0, 0), {at(redirector.port(), "redirector")}}});
  const std::pair<const char*, const char*> cases[] = {
      {"/login", "/nginx/login"},                                                      // relative
      {"/", "/nginx/"},                                                                // relative, the root
      {"http://shop.example.com/cart?x=1", "http://shop.example.com/nginx/cart?x=1"},  // same host
      {"https://SHOP.example.com/cart", "https://SHOP.example.com/nginx/cart"},        // case aside
      {"https://login.example.net/x", "https://login.example.net/x"},                  // another host: untouched
      {"https://login.example.net/nginx", "https://login.example.net/nginx"},
      {"//login.example.net/z", "//login.example.net/z"},  // scheme-relative: another host
      {"http://shop.example.com.evil.test/x", "http://shop.example.com.evil.test/x"},
  };
  for (const auto& [location, expected] : cases) {
    const auto reply =
        test::http_request(in.port(), "GET", std::string("/nginx/go?to=") + location, "shop.example.com");
    EXPECT_EQ(reply.status, 302) << location << ": " << reply.head;
    EXPECT_EQ(reply.header("Location"), expected) << "the server redirected to " << location;
  }
}

// One row of HAProxy's stats CSV.
std::vector<std::string> csv_fields(const std::string& row) {
  std::vector<std::string> out;
  std::istringstream in(row);
  for (std::string f; std::getline(in, f, ',');) out.push_back(f);
  return out;
}

// --- 8. TLS defaults ----------------------------------------------------------------------

// A self-signed RSA certificate and its key, PEM, in one file (what HAProxy's `crt` reads).
std::string rsa_pem(const fs::path& dir) {
  const auto r =
      cp::run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rsa.test", "-days",
                       "2", "-keyout", (dir / "rsa.key").string(), "-out", (dir / "rsa.crt").string()},
                      std::chrono::seconds(30));
  if (r.exit_code != 0) throw std::runtime_error("openssl req: " + r.output);
  return test::read_file_or_throw((dir / "rsa.crt").string()) + test::read_file_or_throw((dir / "rsa.key").string());
}

struct Handshake {
  bool ok = false;
  std::string protocol, cipher;
  bool ticket = false;  // the server issued a session ticket
  std::string output;
};

// openssl s_client against 127.0.0.1:port with `args` (-tls1_2, -cipher ..., ...).
Handshake tls_handshake(uint16_t port, std::vector<std::string> args) {
  std::vector<std::string> argv = {"openssl",     "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                                   "-servername", "rsa.test"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = cp::run_command(argv, std::chrono::seconds(10));
  Handshake h;
  h.output = r.output;
  const auto at = r.output.find(", Cipher is ");
  if (at != std::string::npos) {
    const auto line = r.output.rfind('\n', at) + 1;
    h.protocol = r.output.substr(line, at - line);  // "New, TLSv1.2"
    h.cipher = r.output.substr(at + 12, r.output.find('\n', at) - at - 12);
    h.protocol = h.protocol.substr(h.protocol.find(", ") + 2);
  }
  h.ok = r.exit_code == 0 && !h.cipher.empty() && h.cipher != "(NONE)";
  h.ticket = r.output.find("TLS session ticket lifetime hint") != std::string::npos;
  return h;
}

TEST(L7Tls, OnlyForwardSecretAeadSuitesNoTicketsAndBindModifierChangesThem) {
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  const json https = {
      {"protocol", "HTTPS"}, {"certificates", {"$SECRETS/rsa.pem"}}, {"linkBackend", {{"defaultBackend", "app"}}}};
  json legacy = https;  // a pool that still serves an old client, as Edge-LB allows
  legacy["bindModifier"] = "ciphers ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256";
  L7Instance in({https, legacy}, {http_backend("app")}, {{service_path(0, 0), {at(echo.port(), "echo")}}},
                [](RenderSettings&, SupervisorOptions&, const fs::path& dir) {
                  std::ofstream(dir / "secrets/rsa.pem") << rsa_pem(dir);
                });
  // Refused: CBC with SHA-1, RSA key exchange (no forward secrecy), TLS 1.1.
  for (const std::string cipher : {"AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA256"}) {
    const auto h = tls_handshake(in.port(), {"-tls1_2", "-cipher", cipher});
    EXPECT_FALSE(h.ok) << cipher << " was accepted:\n" << h.output;
  }
  EXPECT_FALSE(tls_handshake(in.port(), {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}).ok) << "TLS 1.1 was accepted";
  // Accepted: ECDHE with AEAD on TLS 1.2, and TLS 1.3; neither gets a session ticket.
  for (const std::string cipher :
       {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"}) {
    const auto h = tls_handshake(in.port(), {"-tls1_2", "-cipher", cipher});
    EXPECT_TRUE(h.ok) << cipher << ":\n" << h.output;
    EXPECT_EQ(h.cipher, cipher);
    EXPECT_FALSE(h.ticket) << cipher << ": a session ticket was issued";
  }
  const auto v13 = tls_handshake(in.port(), {"-tls1_3"});
  EXPECT_TRUE(v13.ok) << v13.output;
  EXPECT_EQ(v13.protocol, "TLSv1.3");
  // The frontend whose bindModifier asks for more gets it.
  const auto old_client = tls_handshake(in.port(1), {"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"});
  EXPECT_TRUE(old_client.ok) << old_client.output;
  EXPECT_NE(in.config().find("ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets"), std::string::npos);
}

// --- 4. Edge-LB's documented certificate in an environment variable ------------------------

TEST(L7Tls, TheDocumentedEnvironmentVariableCertificateIsAcceptedAndServed) {
  // Edge-LB's "Environment variables (Insecure)" example, its placeholder PEM replaced by a
  // real one: the value keeps its line breaks and becomes the file $ENVFILE/ELB_FILE_HAPROXY_CERT.
  json pool = json::parse(test::read_fixture("edgelb-pools/20-env-certificates.json"));
  const fs::path tmp = fs::temp_directory_path() / ("edgelb-l7-pem-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const std::string pem = rsa_pem(tmp);
  fs::remove_all(tmp);
  pool["environmentVariables"]["ELB_FILE_HAPROXY_CERT"] = pem;
  const FieldErrors errors = cp::validate_pool(pool);
  ASSERT_TRUE(errors.empty()) << join(errors);
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  json frontend = pool["haproxy"]["frontends"][0];
  json backend = http_backend("host-httpd");
  L7Instance in({frontend}, {backend}, {{service_path(0, 0), {at(echo.port(), "echo")}}},
                [&](RenderSettings& s, SupervisorOptions&, const fs::path&) {
                  // Where the agent writes ELB_FILE_ values (PoolInstance::install_files).
                  fs::create_directories(s.envfile_dir);
                  std::ofstream(s.envfile_dir + "/ELB_FILE_HAPROXY_CERT")
                      << pool["environmentVariables"]["ELB_FILE_HAPROXY_CERT"].get<std::string>();
                });
  const auto h = tls_handshake(in.port(), {"-tls1_2"});
  EXPECT_TRUE(h.ok) << h.output;
  EXPECT_NE(h.output.find("CN = rsa.test"), std::string::npos) << h.output;
}

// --- 7. Connection limits that fit the descriptors HAProxy may open -----------------------

TEST(L7Limits, DerivedLimitsStartUnderATightDescriptorLimitWhereEdgeLbsFixedOnesDoNot) {
  // HAProxy under a hard limit of 20000 descriptors, as a systemd unit with LimitNOFILE=20000.
  const fs::path wrapper = fs::temp_directory_path() / ("edgelb-l7-haproxy-" + std::to_string(getpid()));
  std::ofstream(wrapper) << "#!/bin/sh\nexec prlimit --nofile=1024:20000 haproxy \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  const auto derived = size_limits({}, 20000);
  EXPECT_EQ(derived.maxconn, (20000u - kFdReserve) / 2);
  EXPECT_EQ(derived.frontend_maxconn, derived.maxconn);
  {
    // A second frontend limits itself, as an Edge-LB pool can (miscStrs).
    json limited = http_frontend("app");
    limited["miscStrs"] = {"maxconn 123"};
    L7Instance in({http_frontend("app"), limited}, {http_backend("app")},
                  {{service_path(0, 0), {at(echo.port(), "echo")}}},
                  [&](RenderSettings& s, SupervisorOptions& o, const fs::path&) {
                    s.limits = derived;
                    s.limits.backlog = 300;
                    o.haproxy_binary = wrapper.string();
                    o.listen_backlog = 300;
                  });
    EXPECT_EQ(test::http_get(in.port()).status, 200);
    EXPECT_NE(in.config().find("maxconn " + std::to_string(derived.maxconn)), std::string::npos);
    // What HAProxy runs with: the process limit (show info) and each frontend's (slim).
    RuntimeApi api(RenderSettings::under(in.dir().string()).stats_socket);
    EXPECT_NE(api.execute("show info").find("\nMaxconn: " + std::to_string(derived.maxconn) + "\n"), std::string::npos);
    std::map<std::string, std::string> slim;
    std::istringstream stat(api.execute("show stat"));
    std::string header;
    std::getline(stat, header);
    const auto columns = csv_fields(header.substr(2));
    const size_t at_slim = std::find(columns.begin(), columns.end(), "slim") - columns.begin();
    for (std::string row; std::getline(stat, row);) {
      const auto f = csv_fields(row);
      if (f.size() > at_slim && f.size() > 1 && f[1] == "FRONTEND") slim[f[0]] = f[at_slim];
    }
    EXPECT_EQ(slim["frontend_127.0.0.1_" + std::to_string(in.port(0))], std::to_string(derived.frontend_maxconn));
    EXPECT_EQ(slim["frontend_127.0.0.1_" + std::to_string(in.port(1))], "123");
    // The listener the agent opened queues `backlog` connections (ss shows it as Send-Q).
    const auto ss = cp::run_command({"ss", "-Hltn", "sport = :" + std::to_string(in.port())}, std::chrono::seconds(5));
    EXPECT_NE(ss.output.find(" 300 "), std::string::npos) << ss.output;
  }
  // Edge-LB's fixed maxconn 50000 needs ~100000 descriptors: HAProxy refuses to start, and the
  // agent says so before trying.
  ConnectionLimits edge_lb;
  edge_lb.maxconn = kEdgeLbMaxconn;
  try {
    size_limits(edge_lb, 20000);
    ADD_FAILURE() << "maxconn 50000 accepted under 20000 descriptors";
  } catch (const LimitsError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 9872"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      L7Instance({http_frontend("app")}, {http_backend("app")}, {{service_path(0, 0), {at(echo.port(), "echo")}}},
                 [&](RenderSettings& s, SupervisorOptions& o, const fs::path&) {
                   s.limits = {kEdgeLbMaxconn, kEdgeLbMaxconn, kEdgeLbMaxconn, 20000};
                   o.haproxy_binary = wrapper.string();
                 }),
      SupervisorError);
  fs::remove(wrapper);
  // Without a tight limit the derived value is Edge-LB's own.
  EXPECT_EQ(size_limits({}, 1048576).maxconn, kEdgeLbMaxconn);
}

// --- 5. Access logs ------------------------------------------------------------------------

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(L7Logs, EveryRequestIsLoggedWithPoolFrontendBackendAndTaskAndTheFileRotates) {
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  std::unique_ptr<AccessLogWriter> writer;
  fs::path log;
  L7Instance in({http_frontend("app")}, {http_backend("app")},
                {{service_path(0, 0), {at(echo.port(), "nginx.1f2e3d4c-5b6a-11ee-8c99-0242ac120002")}}},
                [&](RenderSettings& s, SupervisorOptions&, const fs::path& dir) {
                  s.log_target = log_target(AccessLogSettings{}, (dir / "run").string());
                  log = dir / "access.log";
                  writer = std::make_unique<AccessLogWriter>(access_log_socket((dir / "run").string()), log.string(),
                                                             3000, 5);
                });
  const auto reply = test::http_request(in.port(), "POST", "/orders?id=7", "shop.test", "x=1");
  ASSERT_EQ(reply.status, 200);
  ASSERT_TRUE(test::eventually([&] { return writer->lines() == 1; }));
  const auto first = lines_of(log);
  ASSERT_EQ(first.size(), 1u);
  const std::string& line = first[0];
  const std::string frontend = "frontend_127.0.0.1_" + std::to_string(in.port());
  for (const std::string& part : std::vector<std::string>{
           "l7/" + frontend + " ", " app/nginx.1f2e3d4c-5b6a-11ee-8c99-0242ac120002 ",
           "127.0.0.1:" + std::to_string(echo.port()) + " ", " 200 ", "\"POST /orders?id=7 HTTP/1.1\""})
    EXPECT_NE(line.find(part), std::string::npos) << "no \"" << part << "\" in: " << line;
  // A connection that sends nothing is not logged (option dontlognull).
  {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(in.port());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd);
  }
  // Enough requests to rotate the 3000-byte file a few times: no line is lost or doubled.
  for (int i = 0; i < 39; ++i) ASSERT_EQ(test::http_get(in.port(), "/r" + std::to_string(i)).status, 200);
  ASSERT_TRUE(test::eventually([&] { return writer->lines() >= 40; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(writer->lines(), 40u);
  EXPECT_GE(writer->rotations(), 2u);
  size_t total = 0;
  for (const std::string suffix : {"", ".1", ".2", ".3", ".4", ".5"}) {
    const fs::path f = log.string() + suffix;
    if (!fs::exists(f)) continue;
    EXPECT_LE(fs::file_size(f), 3000u) << f;
    total += lines_of(f).size();
  }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(writer->write_errors(), 0u);
}

TEST(L7Logs, TheSyslogTargetSendsSyslogLines) {
  // A syslog server's unix socket (what /dev/log is), read by the test.
  const fs::path sock = fs::temp_directory_path() / ("edgelb-l7-syslog-" + std::to_string(getpid()));
  fs::remove(sock);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  AccessLogSettings syslog;
  syslog.kind = AccessLogSettings::Kind::kSyslog;
  syslog.syslog_address = sock.string();
  syslog.facility = "local3";
  L7Instance in({http_frontend("app")}, {http_backend("app")}, {{service_path(0, 0), {at(echo.port(), "app.t1")}}},
                [&](RenderSettings& s, SupervisorOptions&, const fs::path& dir) {
                  s.log_target = log_target(syslog, (dir / "run").string());
                });
  ASSERT_EQ(test::http_get(in.port(), "/via-syslog").status, 200);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1) << "no syslog datagram";
  char buf[8192];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  const std::string line(buf, static_cast<size_t>(n));
  // RFC 3164: <facility * 8 + severity>, local3.info = 19 * 8 + 6; then the tag and the line.
  EXPECT_EQ(line.rfind("<158>", 0), 0u) << line;
  EXPECT_NE(line.find(" haproxy["), std::string::npos) << line;
  EXPECT_NE(line.find(" app/app.t1 "), std::string::npos) << line;
  EXPECT_NE(line.find("\"GET /via-syslog HTTP/1.1\""), std::string::npos) << line;
  close(fd);
  fs::remove(sock);
}

TEST(L7Logs, TheStdoutTargetWritesToTheAgentsStandardOutput) {
  // The agent's standard output (under systemd: the journal) is a pipe here, while HAProxy
  // starts and inherits it.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  std::fflush(stdout);
  const int saved = dup(1);
  test::ScriptedBackend echo([](const std::string& head, size_t) { return test::echo_request_line(head); });
  AccessLogSettings to_stdout;
  to_stdout.kind = AccessLogSettings::Kind::kStdout;
  dup2(pipe_fds[1], 1);
  std::unique_ptr<L7Instance> in;
  try {
    in = std::make_unique<L7Instance>(json::array({http_frontend("app")}), json::array({http_backend("app")}),
                                      EndpointsByService{{service_path(0, 0), {at(echo.port(), "app.t1")}}},
                                      [&](RenderSettings& s, SupervisorOptions& o, const fs::path& dir) {
                                        s.log_target = log_target(to_stdout, (dir / "run").string());
                                        o.stdout_is_ours = true;
                                      });
  } catch (...) {
    dup2(saved, 1);
    throw;
  }
  dup2(saved, 1);
  close(saved);
  close(pipe_fds[1]);
  ASSERT_EQ(test::http_get(in->port(), "/via-stdout").status, 200);
  std::string out;
  ASSERT_TRUE(test::eventually([&] {
    char buf[4096];
    pollfd p{pipe_fds[0], POLLIN, 0};
    while (poll(&p, 1, 0) == 1) {
      const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out.find("GET /via-stdout") != std::string::npos;
  })) << out;
  EXPECT_NE(out.find(" app/app.t1 "), std::string::npos) << out;
  in.reset();
  close(pipe_fds[0]);
}

// --- 6. Servers named by task; free slots out of what monitoring reads ---------------------

TEST(L7Servers, TasksAreVisibleInStatsAndMetricsAndFreeSlotsAreNotDown) {
  test::ScriptedBackend one([](const std::string& head, size_t) { return test::echo_request_line(head); });
  test::ScriptedBackend two([](const std::string& head, size_t) { return test::echo_request_line(head); });
  const std::string t1 = "web.8f2b4c1e-aaaa-11ee-8c99-0242ac120002", t2 = "web.9a0c5d2f-bbbb-11ee-8c99-0242ac120002";
  json sticky = http_backend("shop", {{"rewriteHttp", {{"sticky", json::object()}}}});  // cookies: fixed slots
  json map = json::array({{{"hostEq", "shop.test"}, {"backend", "shop"}}});
  L7Instance in({http_frontend("web", map)}, {http_backend("web"), sticky},
                {{service_path(0, 0), {at(one.port(), t1), at(two.port(), t2)}},
                 {service_path(1, 0), {at(one.port(), "shop.1")}}});
  EXPECT_EQ(test::http_get(in.port()).status, 200);
  // The stats CSV: the task in svname, its address in addr.
  std::istringstream rows(test::http_get(in.stats_port(), "/haproxy?stats;csv").body);
  std::string header;
  std::getline(rows, header);
  const auto columns = csv_fields(header.substr(2));  // "# pxname,svname,..."
  const size_t addr = std::find(columns.begin(), columns.end(), "addr") - columns.begin();
  ASSERT_LT(addr, columns.size()) << header;
  std::map<std::string, std::string> web_servers;
  for (std::string row; std::getline(rows, row);) {
    const auto f = csv_fields(row);
    if (f.size() > addr && f[0] == "web" && f[1] != "BACKEND") web_servers[f[1]] = f[addr];
  }
  EXPECT_EQ(web_servers, (std::map<std::string, std::string>{{t1, "127.0.0.1:" + std::to_string(one.port())},
                                                             {t2, "127.0.0.1:" + std::to_string(two.port())}}));
  EXPECT_NE(test::http_get(in.stats_port(), "/haproxy?stats").body.find(t1), std::string::npos);
  // /metrics: servers by task; the sticky backend's seven free slots are not there, as down or
  // in maintenance. Asked for everything (any query), they are, in maintenance.
  const auto metrics = test::http_get(in.stats_port(), "/metrics").body;
  EXPECT_NE(metrics.find("haproxy_server_status{proxy=\"web\",server=\"" + t1 + "\",state=\"UP\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("haproxy_server_status{proxy=\"shop\",server=\"s0_1\",state=\"UP\"} 1"), std::string::npos);
  EXPECT_EQ(metrics.find("server=\"s0_2\""), std::string::npos);
  EXPECT_EQ(metrics.find("state=\"MAINT\"} 1"), std::string::npos);
  EXPECT_EQ(metrics.find("state=\"DOWN\"} 1"), std::string::npos);
  const auto everything = test::http_get(in.stats_port(), "/metrics?scope=server").body;
  EXPECT_NE(everything.find("haproxy_server_status{proxy=\"shop\",server=\"s0_8\",state=\"MAINT\"} 1"),
            std::string::npos);
}

// --- 10. hard-stop-after: how long a reload lets old connections live ---------------------

TEST(L7Reload, HardStopAfterBoundsWhatAReloadLetsFinish) {
  EXPECT_EQ(RenderSettings{}.hard_stop_after, "30m");  // an edge's default: minutes, not seconds
  // Requests that take 2.5 s (a download, a long poll) are in flight when HAProxy reloads.
  auto slow = [](const std::string& head, size_t) {
    auto answer = test::echo_request_line(head);
    answer.delay = 2500ms;
    return answer;
  };
  for (const std::string limit : {"30m", "1s"}) {
    test::ScriptedBackend backend(slow);
    L7Instance in({http_frontend("app")}, {http_backend("app")}, {{service_path(0, 0), {at(backend.port(), "t")}}},
                  [&](RenderSettings& s, SupervisorOptions&, const fs::path&) { s.hard_stop_after = limit; });
    test::HttpReply reply;
    std::thread client([&] { reply = test::http_request(in.port(), "GET", "/download", "test", "", 5s); });
    ASSERT_TRUE(test::eventually([&] { return backend.requests().size() == 1; }));
    std::string next = in.config();
    next.replace(next.find("timeout tarpit 60s"), 18, "timeout tarpit 61s");  // any change: a reload
    ASSERT_TRUE(in.supervisor().reload(next).ok);
    client.join();
    if (limit == "30m")
      EXPECT_EQ(reply.status, 200) << "a request in flight did not survive the reload";
    else
      EXPECT_EQ(reply.status, 0) << "the old worker outlived hard-stop-after " << limit;
  }
}

}  // namespace
}  // namespace edgelb::haproxy
