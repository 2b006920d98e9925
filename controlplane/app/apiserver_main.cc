// edgelb-apiserver: validates Edge-LB pool configs, keeps them in ZooKeeper, and serves the
// edgelb.v1 gRPC API (docs/apiserver.md). Stateless apart from ZooKeeper: pools keep serving
// while it is down, and it picks up where it left off when it returns.
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/advertised_address.h"
#include "api/api_server.h"
#include "api/audit_log.h"
#include "api/auth.h"
#include "api/mesos_service.h"
#include "common/read_file.h"
#include "common/stop_signals.h"
#include "crypto/secret_box.h"
#include "mesos/mesos_model.h"
#include "mesos/mesos_subscriber.h"
#include "store/pool_store.h"
#include "zk/zk_client.h"

int main(int argc, char** argv) {
  using namespace edgelb::cp;
  namespace mesos = edgelb::mesos;
  CLI::App app{"edgelb-apiserver: the edgelb control API (pools in ZooKeeper, gRPC edgelb.v1)"};
  ZkOptions zk_opts;
  zk_opts.hosts = "127.0.0.1:2181";
  StoreOptions store_opts;
  ApiServerOptions api;
  std::string digest_file, tokens_file, anonymous = "none", secret_key_file, audit_file, ready_file, advertise;
  int session_ms = 10000;
  mesos::SubscriberOptions mesos_opts;
  std::string mesos_auth_file;
  size_t mesos_change_log = 65536;
  app.add_option("--zk", zk_opts.hosts, "ZooKeeper hosts (host:port,...)")->capture_default_str();
  app.add_option("--zk-root", store_opts.root, "root znode")->capture_default_str();
  app.add_option("--zk-digest-file", digest_file, "file with user:password: digest auth and ACLs on every node");
  app.add_option("--zk-session-timeout-ms", session_ms, "ZooKeeper session timeout")->capture_default_str();
  app.add_option("--history", store_opts.history_limit, "pool versions kept for rollback")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--listen", api.listen, "gRPC address host:port")->capture_default_str();
  app.add_option("--advertise", advertise,
                 "host[:port] clients dial, registered in ZooKeeper (default: the --listen host, or the host name "
                 "when listening on a wildcard address)");
  app.add_option("--health-listen", api.health_listen,
                 "host:port of a plaintext listener serving only grpc.health.v1 (probes without a client certificate)");
  app.add_option("--tls-cert", api.tls_cert_file, "server certificate (PEM)");
  app.add_option("--tls-key", api.tls_key_file, "server private key (PEM)");
  app.add_option("--client-ca", api.client_ca_file, "CA for client certificates: enables mutual TLS");
  app.add_flag("--insecure", api.allow_insecure, "plaintext gRPC (tests and loopback only)");
  app.add_option("--tokens", tokens_file, "bearer tokens file (YAML: tokens: [{name, role, token|sha256}])");
  app.add_option("--anonymous-role", anonymous, "role of callers without certificate or token")
      ->check(CLI::IsMember({"none", "viewer", "operator", "admin"}))
      ->capture_default_str();
  app.add_option("--secret-key-file", secret_key_file,
                 "AES-256 key (32 bytes or 64 hex digits, mode 0600) for secrets at rest");
  app.add_option("--audit-log", audit_file, "append audit records here (default stderr)");
  app.add_option("--ready-file", ready_file, "write the listening port here once serving");
  app.add_option("--mesos", mesos_opts.master,
                 "run the mesos-listener against this master: zk://host:port[,..]/mesos or http://host:port[,...]");
  app.add_option("--mesos-authorization-file", mesos_auth_file,
                 "file with the Authorization header value for the master (e.g. token=<JWT>)");
  app.add_option("--mesos-heartbeat-factor", mesos_opts.heartbeat_factor,
                 "resubscribe after this many heartbeat intervals without an event")
      ->capture_default_str();
  app.add_option("--mesos-change-log", mesos_change_log, "model changes kept for Watch clients that fall behind")
      ->capture_default_str()
      ->check(CLI::Range(size_t{16}, size_t{1} << 24));
  CLI11_PARSE(app, argc, argv);
  zk_opts.session_timeout = std::chrono::milliseconds(session_ms);
  if (!api.tls_cert_file.empty() && api.tls_key_file.empty()) {
    std::fprintf(stderr, "edgelb-apiserver: --tls-cert needs --tls-key\n");
    return 2;
  }
  if (!api.client_ca_file.empty() && api.tls_cert_file.empty()) {
    std::fprintf(stderr, "edgelb-apiserver: --client-ca (mutual TLS) needs --tls-cert and --tls-key\n");
    return 2;
  }

  // Signals go to a waiting thread, not to whichever thread happens to run.
  sigset_t sigs = block_stop_signals();

  try {
    if (!digest_file.empty()) zk_opts.digest = read_trimmed_file(digest_file, "ZooKeeper digest file");
    std::optional<SecretBox> box;
    if (!secret_key_file.empty())
      box.emplace(SecretBox::from_file(secret_key_file));
    else
      std::fprintf(stderr, "edgelb-apiserver: no --secret-key-file: secrets and autoCertificate pools are refused\n");
    Authorizer auth(tokens_file, *parse_role(anonymous));
    AuditLog audit(audit_file);
    ZkClient zk(zk_opts);
    while (!zk.wait_connected(std::chrono::seconds(5)))
      std::fprintf(stderr, "edgelb-apiserver: waiting for ZooKeeper at %s\n", zk_opts.hosts.c_str());
    PoolStore store(zk, store_opts, box ? &*box : nullptr);
    store.init();
    store.start_summary_cache();  // ListPools from memory, kept current by watches
    // The mesos-listener (optional): model + SUBSCRIBE client + edgelb.v1.MesosListener.
    mesos::MesosModel model(mesos_change_log);
    std::unique_ptr<mesos::MesosSubscriber> subscriber;
    std::unique_ptr<MesosListenerService> mesos_service;
    if (!mesos_opts.master.empty()) {
      if (!mesos_auth_file.empty())
        mesos_opts.authorization = read_trimmed_file(mesos_auth_file, "Mesos authorization file");
      subscriber = std::make_unique<mesos::MesosSubscriber>(mesos_opts, model);
      mesos_service = std::make_unique<MesosListenerService>(model, subscriber.get(), &store, auth, mesos_opts.master);
      api.extra_services.push_back(mesos_service.get());
      api.mesos_model = &model;
      subscriber->start();
      std::fprintf(stderr, "edgelb-apiserver: mesos-listener subscribing to %s\n", mesos_opts.master.c_str());
    }
    ApiServer server(api, store, auth, audit);
    zk.on_connection_change([&server](bool up) {
      server.set_serving(up);
      std::fprintf(stderr, "edgelb-apiserver: ZooKeeper %s\n", up ? "connected" : "disconnected");
    });
    char hostname[256] = "localhost";
    ::gethostname(hostname, sizeof hostname - 1);
    const AdvertisedAddress advertised = advertised_address(advertise, api.listen, server.port(), hostname);
    const std::string me = advertised.text();
    zk.create_ephemeral(store_opts.root + "/apiservers/" + me, nlohmann::json{{"host", advertised.host},
                                                                              {"port", advertised.port},
                                                                              {"listen", api.listen},
                                                                              {"hostname", hostname},
                                                                              {"pid", ::getpid()}}
                                                                   .dump());
    std::fprintf(stderr, "edgelb-apiserver: serving edgelb.v1 on port %d (%s), ZooKeeper %s%s\n", server.port(),
                 api.tls_cert_file.empty()    ? "plaintext"
                 : api.client_ca_file.empty() ? "TLS"
                                              : "mutual TLS",
                 zk_opts.hosts.c_str(), store_opts.root.c_str());
    if (server.health_port())
      std::fprintf(stderr, "edgelb-apiserver: grpc.health.v1 probes (plaintext) on port %d\n", server.health_port());
    if (!ready_file.empty()) std::ofstream(ready_file) << server.port() << "\n";
    sd_notifyf(0, "READY=1\nSTATUS=serving edgelb.v1 on port %d", server.port());  // Type=notify
    std::thread stopper([&] {
      int sig = 0;
      sigwait(&sigs, &sig);
      std::fprintf(stderr, "edgelb-apiserver: signal %d, stopping\n", sig);
      sd_notify(0, "STOPPING=1");
      if (mesos_service) mesos_service->shutdown();
      server.shutdown();
    });
    server.wait();
    stopper.join();
    zk.forget_ephemeral(store_opts.root + "/apiservers/" + me);
    if (subscriber) subscriber->stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-apiserver: %s\n", e.what());
    return 1;
  }
  return 0;
}
